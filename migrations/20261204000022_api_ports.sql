-- In private-jet mode each API has a gateway of its own. On this machine (the embedded default)
-- that gateway needs a port of its own: given at the API's first release to such a group and
-- kept, so its address does not move between releases. Group ports and API ports never clash
-- (groups::next_free_port looks at both).
CREATE TABLE api_ports (
    api_id TEXT PRIMARY KEY REFERENCES apis (id) ON DELETE CASCADE,
    port   BIGINT NOT NULL UNIQUE
);
