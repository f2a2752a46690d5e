-- Purges of the answers kept under one path of an API (`/pets/7`, `/pets`), beside the
-- whole-API purges: the bundle carries each one of the last day, so a gateway that skipped a
-- bundle in between still drops every path purged meanwhile.
CREATE TABLE kept_answers_path_purges (
    id TEXT PRIMARY KEY,
    api_id TEXT NOT NULL REFERENCES apis (id) ON DELETE CASCADE,
    path TEXT NOT NULL,
    purged_at BIGINT NOT NULL
);
CREATE INDEX kept_answers_path_purges_by_time ON kept_answers_path_purges (purged_at);
