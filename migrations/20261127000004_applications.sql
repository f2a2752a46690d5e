-- Consumers' applications and their credentials (OAuth2 clients and API keys), secrets hashed.

CREATE TABLE applications (
    id          TEXT PRIMARY KEY,
    owner_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    description TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);
CREATE UNIQUE INDEX applications_owner_name ON applications (owner_id, name);

CREATE TABLE app_credentials (
    id             TEXT PRIMARY KEY,
    application_id TEXT NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    kind           TEXT NOT NULL,           -- oauth2 | api_key
    key_type       TEXT NOT NULL,           -- production | sandbox
    client_id      TEXT UNIQUE,             -- oauth2 only
    secret_hash    TEXT NOT NULL UNIQUE,    -- SHA-256 of the client secret or API key
    prefix         TEXT NOT NULL,           -- first characters, to recognise it
    created_at     BIGINT NOT NULL,
    expires_at     BIGINT,
    revoked_at     BIGINT
);
CREATE INDEX app_credentials_application ON app_credentials (application_id);
