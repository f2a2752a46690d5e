-- Subscription tiers (managed by publishers), subscriptions of applications to APIs, and the
-- revocations gateways must honour for tokens issued before them.

CREATE TABLE tiers (
    name                TEXT PRIMARY KEY,
    requests_per_minute BIGINT,             -- NULL: unlimited
    description         TEXT NOT NULL,
    needs_approval      BIGINT NOT NULL,    -- 0/1: subscribing waits for a publisher
    created_at          BIGINT NOT NULL,
    updated_at          BIGINT NOT NULL
);
-- WSO2's defaults.
INSERT INTO tiers (name, requests_per_minute, description, needs_approval, created_at, updated_at) VALUES
    ('Bronze', 1000, 'Allows 1000 requests per minute', 0, 0, 0),
    ('Silver', 2000, 'Allows 2000 requests per minute', 0, 0, 0),
    ('Gold', 5000, 'Allows 5000 requests per minute', 0, 0, 0),
    ('Unlimited', NULL, 'Allows unlimited requests', 0, 0, 0);

-- One subscription per application and API; its tier can only be one the API offers.
CREATE TABLE subscriptions (
    id             TEXT PRIMARY KEY,
    application_id TEXT NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    api_id         TEXT NOT NULL REFERENCES apis (id) ON DELETE CASCADE,
    tier           TEXT NOT NULL REFERENCES tiers (name),
    status         TEXT NOT NULL,           -- pending | active | rejected
    created_by     TEXT NOT NULL,           -- user id
    created_at     BIGINT NOT NULL,         -- when (re)requested
    activated_at   BIGINT,                  -- when it became active
    decided_comment TEXT NOT NULL
);
CREATE UNIQUE INDEX subscriptions_app_api ON subscriptions (application_id, api_id);
CREATE INDEX subscriptions_api ON subscriptions (api_id);

-- Approval requests of the second kind point at a subscription.
ALTER TABLE approvals ADD COLUMN subscription_id TEXT;

-- Tokens are self-contained, so taking access away must reach gateways: a token whose subject
-- was revoked at or after it was issued is refused. Kept for one token lifetime.
CREATE TABLE revocations (
    subject    TEXT NOT NULL,               -- client:<id> | application:<id> | subscription:<app id>/<api id> | api:<id>
    revoked_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    PRIMARY KEY (subject, revoked_at)
);
CREATE INDEX revocations_expiry ON revocations (expires_at);
