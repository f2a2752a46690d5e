-- The working copy's edit each revision froze, so the publisher pages can say when the working
-- copy has edits no revision holds yet. NULL for revisions cut before this column existed.
ALTER TABLE api_revisions ADD COLUMN edit_version BIGINT;
