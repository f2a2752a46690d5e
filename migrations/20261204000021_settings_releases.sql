-- A group's settings (host, mode, autoscaling, image) are released on their own: a deployment
-- of kind 'settings' re-renders the group's manifests from what is live and concerns no API,
-- so its API and revision may be empty. Neither database can drop a NOT NULL the same way, so
-- the table is rebuilt (nothing references it).
CREATE TABLE deployments_new (
    id          TEXT PRIMARY KEY,
    group_name  TEXT NOT NULL REFERENCES gateway_groups (name),
    api_id      TEXT REFERENCES apis (id) ON DELETE CASCADE,  -- NULL for a settings release
    revision    BIGINT,                                       -- NULL for a settings release
    kind        TEXT NOT NULL,              -- deploy | rollback | settings
    status      TEXT NOT NULL,              -- rendering | rendered | committed | live | failed
    reason      TEXT NOT NULL,
    tag         TEXT NOT NULL,
    commit_sha  TEXT NOT NULL,
    bundle_sha  TEXT NOT NULL,
    steps       TEXT NOT NULL,              -- JSON [{name, status, ms, detail}]
    created_by  TEXT NOT NULL,              -- email
    created_at  BIGINT NOT NULL,
    finished_at BIGINT,
    pushed_to   TEXT NOT NULL DEFAULT ''
);
INSERT INTO deployments_new (id, group_name, api_id, revision, kind, status, reason, tag, commit_sha, bundle_sha, steps,
                             created_by, created_at, finished_at, pushed_to)
SELECT id, group_name, api_id, revision, kind, status, reason, tag, commit_sha, bundle_sha, steps,
       created_by, created_at, finished_at, pushed_to FROM deployments;
DROP TABLE deployments;
ALTER TABLE deployments_new RENAME TO deployments;
CREATE INDEX deployments_group ON deployments (group_name, created_at);
