-- Ingest at gateway rates: a batch's new events are stored as one row (the batch, as JSON)
-- instead of one row each, and a narrow table of event ids keeps ingest idempotent. Compaction
-- turns batches into Parquet segments and deletes them; the ids stay until retention.

CREATE TABLE event_ids (
    event_id TEXT PRIMARY KEY,
    ts       BIGINT NOT NULL                -- request time (Unix ms), for retention
);
CREATE INDEX event_ids_ts ON event_ids (ts);

CREATE TABLE event_batches (
    id          TEXT PRIMARY KEY,
    received_at BIGINT NOT NULL,
    min_ts      BIGINT NOT NULL,
    max_ts      BIGINT NOT NULL,
    events      BIGINT NOT NULL,
    payload     TEXT NOT NULL               -- JSON array of the batch's new events
);
CREATE INDEX event_batches_received ON event_batches (received_at);
CREATE INDEX event_batches_range ON event_batches (max_ts, min_ts);

-- What the events table held: every id, and each event not compacted yet as a batch of one.
INSERT INTO event_ids (event_id, ts) SELECT event_id, ts FROM events;
INSERT INTO event_batches (id, received_at, min_ts, max_ts, events, payload)
    SELECT event_id, received_at, ts, ts, 1, '[' || payload || ']' FROM events WHERE segment IS NULL;
DROP TABLE events;
