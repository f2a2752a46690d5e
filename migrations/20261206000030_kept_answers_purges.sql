-- When each API's kept answers were last purged: the access part of its group's bundle carries
-- the purges of the last day, and gateways drop the answers they kept before.
CREATE TABLE kept_answers_purges (
    api_id TEXT PRIMARY KEY REFERENCES apis (id) ON DELETE CASCADE,
    purged_at BIGINT NOT NULL
);
