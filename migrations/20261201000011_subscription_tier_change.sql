-- A consumer may move an active subscription to another tier the API offers. When that tier
-- needs approval the subscription keeps working on its current tier and the tier asked for
-- waits here (with an approval request pointing at the subscription) until a publisher decides.
ALTER TABLE subscriptions ADD COLUMN requested_tier TEXT REFERENCES tiers (name);
