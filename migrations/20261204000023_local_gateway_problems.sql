-- What keeps a local gateway (the embedded default) from serving, as the supervisor in
-- `gatehouse serve` last found it: a port another program holds, a gateway that keeps exiting.
-- The group page shows it so a publisher can act (pick another port) instead of wondering why
-- the gateway never reports. A row goes once the gateway runs; the supervisor clears the table
-- when it starts, as the problems of an earlier run are not this run's.
CREATE TABLE local_gateway_problems (
    group_name TEXT NOT NULL REFERENCES gateway_groups (name) ON DELETE CASCADE,
    -- The one API the gateway would serve (private-jet mode), or '' for the whole group.
    api_id     TEXT NOT NULL DEFAULT '',
    port       BIGINT NOT NULL,
    problem    TEXT NOT NULL,
    since      BIGINT NOT NULL,
    PRIMARY KEY (group_name, api_id)
);
