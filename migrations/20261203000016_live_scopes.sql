-- The OAuth2 scopes each live revision defines (a JSON array of names): the key manager grants
-- an application's tokens the scopes of the revisions live for the APIs it subscribes to,
-- without reading whole snapshots. Revisions deployed before scopes existed defined none.
ALTER TABLE group_live ADD COLUMN scopes TEXT NOT NULL DEFAULT '[]';
