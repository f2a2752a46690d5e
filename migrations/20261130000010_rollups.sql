-- Analytics rollups: each segment gets a second Parquet file beside it with its events counted
-- per hour (per minute for tier peaks) and latency histograms, which ranges of days read
-- instead of the events. NULL: written before rollups existed; the server backfills it.
ALTER TABLE analytics_segments ADD COLUMN rollup TEXT;
