-- In private-jet mode each API has a gateway of its own. On this machine (the embedded default)
-- that gateway needs a port of its own: given at the API's first release to such a group and
-- kept, so its address does not move between releases. Group ports and API ports never clash
-- (groups::next_free_port looks at both).
CREATE TABLE api_ports (
    api_id TEXT PRIMARY KEY REFERENCES apis (id) ON DELETE CASCADE,
    port   BIGINT NOT NULL UNIQUE
);

-- A private-jet gateway reports the one API it serves: a release of that API is live once the
-- gateways serving it (not every gateway of the group) serve the release. '' serves every API.
ALTER TABLE gateway_instances ADD COLUMN api_id TEXT NOT NULL DEFAULT '';
