-- Gateway groups, approval requests, deployments, what is live where, webhooks.

CREATE TABLE gateway_groups (
    name         TEXT PRIMARY KEY,          -- a git branch and Kubernetes name
    kind         TEXT NOT NULL,             -- functional | regional
    regions      TEXT NOT NULL,             -- JSON array of region/datacenter labels
    mode         TEXT NOT NULL,             -- shared | private-jet | sidecar
    host         TEXT NOT NULL,             -- ingress host
    port         BIGINT NOT NULL,           -- local port of the embedded gateway
    replicas_min BIGINT NOT NULL,
    replicas_max BIGINT NOT NULL,
    cpu_target   BIGINT NOT NULL,           -- average CPU utilisation % for the autoscaler
    image        TEXT NOT NULL,             -- gateway container image
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL
);
CREATE UNIQUE INDEX gateway_groups_port ON gateway_groups (port);

ALTER TABLE apis ADD COLUMN group_name TEXT REFERENCES gateway_groups (name);
CREATE INDEX apis_group ON apis (group_name);

CREATE TABLE approvals (
    id           TEXT PRIMARY KEY,
    kind         TEXT NOT NULL,             -- revision (later: subscription)
    api_id       TEXT NOT NULL REFERENCES apis (id) ON DELETE CASCADE,
    revision     BIGINT NOT NULL,
    group_name   TEXT NOT NULL,
    note         TEXT NOT NULL,
    requested_by TEXT NOT NULL,             -- user id
    requested_at BIGINT NOT NULL,
    status       TEXT NOT NULL,             -- pending | approved | rejected
    decided_by   TEXT,
    decided_at   BIGINT,
    comment      TEXT NOT NULL,
    deployment_id TEXT
);
CREATE INDEX approvals_status ON approvals (status, requested_at);
CREATE INDEX approvals_api ON approvals (api_id);

CREATE TABLE deployments (
    id          TEXT PRIMARY KEY,
    group_name  TEXT NOT NULL REFERENCES gateway_groups (name),
    api_id      TEXT NOT NULL REFERENCES apis (id) ON DELETE CASCADE,
    revision    BIGINT NOT NULL,
    kind        TEXT NOT NULL,              -- deploy | rollback
    status      TEXT NOT NULL,              -- rendering | rendered | committed | live | failed
    reason      TEXT NOT NULL,
    tag         TEXT NOT NULL,
    commit_sha  TEXT NOT NULL,
    bundle_sha  TEXT NOT NULL,
    steps       TEXT NOT NULL,              -- JSON [{name, status, ms, detail}]
    created_by  TEXT NOT NULL,              -- email
    created_at  BIGINT NOT NULL,
    finished_at BIGINT
);
CREATE INDEX deployments_group ON deployments (group_name, created_at);

-- The revision of each API that is live in a group, changed only by a successful deployment.
CREATE TABLE group_live (
    group_name    TEXT NOT NULL REFERENCES gateway_groups (name),
    api_id        TEXT NOT NULL REFERENCES apis (id) ON DELETE CASCADE,
    revision      BIGINT NOT NULL,
    deployment_id TEXT NOT NULL,
    PRIMARY KEY (group_name, api_id)
);

-- Each group's current bundle, served to its gateways (ETag = sha).
CREATE TABLE group_bundles (
    group_name TEXT PRIMARY KEY REFERENCES gateway_groups (name),
    version    TEXT NOT NULL,
    sha        TEXT NOT NULL,
    bundle     TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE webhooks (
    id         TEXT PRIMARY KEY,
    url        TEXT NOT NULL,
    -- The HMAC key itself: signing needs it, so it cannot be stored hashed. Shown once.
    secret     TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE webhook_deliveries (
    id            TEXT PRIMARY KEY,
    webhook_id    TEXT NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    deployment_id TEXT NOT NULL,
    event         TEXT NOT NULL,
    payload       TEXT NOT NULL,
    status        TEXT NOT NULL,            -- pending | delivered | failed
    attempts      BIGINT NOT NULL,
    last_status   BIGINT,
    last_error    TEXT NOT NULL,
    next_attempt_at BIGINT NOT NULL,
    created_at    BIGINT NOT NULL,
    delivered_at  BIGINT
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at);
