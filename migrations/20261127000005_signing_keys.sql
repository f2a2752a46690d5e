-- The key manager's signing keys (Ed25519). The private key must be usable to sign, so it is
-- stored as is: protect the database. A rotated-out key stays published until its last
-- token has expired.
CREATE TABLE signing_keys (
    kid         TEXT PRIMARY KEY,
    private_key TEXT NOT NULL,              -- base64 of the 32-byte Ed25519 seed
    public_key  TEXT NOT NULL,              -- base64url of the 32-byte public key
    created_at  BIGINT NOT NULL,
    retired_at  BIGINT,                     -- no longer signs
    expires_at  BIGINT                      -- no longer published
);
