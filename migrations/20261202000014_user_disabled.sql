-- An admin disables the account of someone who left: 0 while the account may be used, else when
-- it was disabled (Unix ms). Kept, not deleted, so what the person did stays attributed.
ALTER TABLE users ADD COLUMN disabled_at BIGINT NOT NULL DEFAULT 0;
