-- The publisher list and the portal catalog show APIs newest first, `updated_at DESC, id DESC`.
-- With the tie-breaking `id` in the index, a page is read straight off it in order, with no
-- sort left to do; the state index ends the same way, so a one-state filter reads its page in
-- order too.
DROP INDEX apis_state_updated;
DROP INDEX apis_updated;
CREATE INDEX apis_recent ON apis (updated_at, id);
CREATE INDEX apis_state_recent ON apis (state, updated_at, id);
