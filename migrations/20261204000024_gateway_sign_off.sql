-- An instance that signed off (or that the embedded supervisor stopped) is kept, marked, rather
-- than deleted: a heartbeat of the same run still in flight when it signed off must not bring
-- it back. A new run under the same name (a container restarted in its pod) starts again.
ALTER TABLE gateway_instances ADD COLUMN stopped BIGINT NOT NULL DEFAULT 0;
