-- Gateways: their credentials (one group each, stored hashed), the instances that reported in
-- (which release each serves), and the events they send, stored once per event id.

CREATE TABLE gateway_credentials (
    id          TEXT PRIMARY KEY,
    group_name  TEXT NOT NULL REFERENCES gateway_groups (name) ON DELETE CASCADE,
    token_hash  TEXT NOT NULL UNIQUE,       -- SHA-256 of the `ggw_…` token
    prefix      TEXT NOT NULL,
    label       TEXT NOT NULL,              -- e.g. "embedded" or who created it
    created_at  BIGINT NOT NULL,
    revoked_at  BIGINT
);
CREATE INDEX gateway_credentials_group ON gateway_credentials (group_name);

-- Every bundle pull is a heartbeat: the instance, the release version it serves, when.
CREATE TABLE gateway_instances (
    group_name  TEXT NOT NULL REFERENCES gateway_groups (name) ON DELETE CASCADE,
    instance    TEXT NOT NULL,
    version     TEXT NOT NULL,              -- release version of the bundle it serves ('' for none)
    started_at  BIGINT NOT NULL,
    seen_at     BIGINT NOT NULL,
    PRIMARY KEY (group_name, instance)
);

-- Analytics events, durable and idempotent: the primary key is the gateway's event id.
CREATE TABLE events (
    event_id        TEXT PRIMARY KEY,
    received_at     BIGINT NOT NULL,
    ts              BIGINT NOT NULL,        -- request time (Unix ms)
    api_id          TEXT NOT NULL,
    application_id  TEXT NOT NULL,
    group_name      TEXT NOT NULL,
    status          BIGINT NOT NULL,
    error_type      TEXT NOT NULL,          -- '' when none
    latency_us      BIGINT NOT NULL,
    payload         TEXT NOT NULL           -- the whole event as JSON
);
CREATE INDEX events_ts ON events (ts);
