-- Releases pushed to a GitOps remote (GATEHOUSE_GITOPS_REMOTE), where Argo CD or Flux sync from.

-- The remote (its URL without credentials) a deployment's commit and tag were pushed to; ''
-- until then. A different remote configured later has not got it, so it is pushed again.
ALTER TABLE deployments ADD COLUMN pushed_to TEXT NOT NULL DEFAULT '';

-- How pushing to each remote has gone: shown on the gateway groups page, and the retry's backoff.
CREATE TABLE gitops_remotes (
    remote          TEXT PRIMARY KEY,          -- the URL without credentials
    last_attempt_at BIGINT,
    last_pushed_at  BIGINT,
    last_error      TEXT NOT NULL,             -- '' after a push that went through
    failures        BIGINT NOT NULL            -- attempts failed in a row
);
