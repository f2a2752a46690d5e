-- Which events each webhook hears: event names separated by commas, or '' for every event
-- (kinds added later included), which is what every existing webhook heard until now.
ALTER TABLE webhooks ADD COLUMN events TEXT NOT NULL DEFAULT '';
