-- An application's webhook: its owner's URL, told what happens to the application's
-- subscriptions. '' for the admins' webhooks, which hear the platform's own events.
ALTER TABLE webhooks ADD COLUMN application_id TEXT NOT NULL DEFAULT '';
-- One per application; it goes with its application (deleted in the same transaction).
CREATE UNIQUE INDEX webhooks_one_per_application ON webhooks (application_id) WHERE application_id <> '';
-- An application's webhook lists its latest deliveries.
CREATE INDEX webhook_deliveries_by_webhook ON webhook_deliveries (webhook_id, created_at);
