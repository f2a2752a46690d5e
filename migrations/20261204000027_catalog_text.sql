-- What the portal's catalog search reads: the API's name and tags with the description and
-- operations of its live revision, written when a revision is deployed (and when the tags
-- change), so a consumer finds an API by what its gateways serve. NULL while no revision is
-- live: the working copy's `search_text` is searched then.
ALTER TABLE apis ADD COLUMN catalog_text TEXT;
