-- Analytics: events are compacted into Parquet segments (files under the data directory's
-- analytics/ folder, partitioned by day). An event row stays as the record that its id was seen
-- (ingest stays idempotent after compaction); its payload is emptied once it is in a segment.

ALTER TABLE events ADD COLUMN segment TEXT;        -- NULL: not compacted yet
CREATE INDEX events_pending ON events (segment, ts);

CREATE TABLE analytics_segments (
    id         TEXT PRIMARY KEY,                -- also the file name
    day        TEXT NOT NULL,                   -- YYYY-MM-DD (UTC) partition
    path       TEXT NOT NULL,                   -- relative to the analytics folder
    min_ts     BIGINT NOT NULL,
    max_ts     BIGINT NOT NULL,
    events     BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX analytics_segments_range ON analytics_segments (max_ts, min_ts);
