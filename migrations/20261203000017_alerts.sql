-- Alerts: a condition on a recent window of the gateways' traffic (see analytics/src/alerts.rs).
-- `firing_since` is set while the condition holds; each check updates `last_value`, which is
-- NULL when the window had nothing to measure.
CREATE TABLE alerts (
    id              TEXT PRIMARY KEY,
    name            TEXT NOT NULL,
    api_id          TEXT,
    metric          TEXT NOT NULL,
    comparison      TEXT NOT NULL,
    threshold       DOUBLE PRECISION NOT NULL,
    window_minutes  BIGINT NOT NULL,
    created_by      TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    firing_since    BIGINT,
    last_value      DOUBLE PRECISION,
    last_checked_at BIGINT
);

-- When alerts started and stopped holding. Kept when an alert is removed, by name.
CREATE TABLE alert_events (
    id         TEXT PRIMARY KEY,
    alert_id   TEXT NOT NULL,
    alert_name TEXT NOT NULL,
    metric     TEXT NOT NULL,
    kind       TEXT NOT NULL,            -- fired | resolved
    value      DOUBLE PRECISION,
    threshold  DOUBLE PRECISION NOT NULL,
    at         BIGINT NOT NULL
);
CREATE INDEX alert_events_at ON alert_events (at);

-- Webhooks now carry alerts as well as deployments: a delivery names what its event is about.
ALTER TABLE webhook_deliveries RENAME COLUMN deployment_id TO subject;
