-- When the account's password last changed (Unix ms; 0 = not since the account was made).
-- A session signed in before it no longer counts: changing or resetting a password signs the
-- old password's sessions out.
ALTER TABLE users ADD COLUMN password_changed_at BIGINT NOT NULL DEFAULT 0;

-- Settings an admin changes while Gatehouse runs, one JSON value per name. A name with no row
-- has its default, so a new setting needs no migration.
CREATE TABLE settings (
    name       TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    updated_by TEXT NOT NULL
);
