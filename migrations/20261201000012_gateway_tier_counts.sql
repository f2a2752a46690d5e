-- How each gateway instance counts its tiers (per instance, or shared through a store), as its
-- heartbeat last reported it. Gateways from before this column counted per instance.
ALTER TABLE gateway_instances ADD COLUMN tier_counts TEXT NOT NULL DEFAULT 'per_instance';
