-- The publisher list and the portal catalog show APIs newest first, `updated_at DESC, id DESC`.
-- With `id` in the index the page comes straight off it in order, so the first page reads 25
-- rows, not every API (which the old `(updated_at)` index, lacking the tie-break, could not
-- avoid). The state index ends the same way, so a one-state filter reads its page in order too.
DROP INDEX apis_state_updated;
DROP INDEX apis_updated;
CREATE INDEX apis_recent ON apis (updated_at, id);
CREATE INDEX apis_state_recent ON apis (state, updated_at, id);
