-- The backend credentials' variables a gateway reported it lacks (comma-separated names), so
-- the group page can say what an operator must set.
ALTER TABLE gateway_instances ADD COLUMN missing_secrets TEXT NOT NULL DEFAULT '';
