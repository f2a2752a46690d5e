-- Which gateway groups' events each webhook hears: group names separated by commas, or '' for
-- every group and for events that concern no group (what every existing webhook heard until
-- now). A group's team points its own pipeline at its own releases.
ALTER TABLE webhooks ADD COLUMN groups TEXT NOT NULL DEFAULT '';
