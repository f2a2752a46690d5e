-- A regenerated OAuth2 client secret's predecessor (its SHA-256), which keeps working until
-- previous_valid_until (Unix ms; 0: not at all), so the software using it can move to the new
-- secret without a failed call.
ALTER TABLE app_credentials ADD COLUMN previous_secret_hash TEXT NOT NULL DEFAULT '';
ALTER TABLE app_credentials ADD COLUMN previous_valid_until BIGINT NOT NULL DEFAULT 0;
