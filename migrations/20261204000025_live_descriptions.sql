-- The description of each live revision: the portal's catalog cards show what the gateways
-- serve without reading whole snapshots. NULL for releases made before this column existed;
-- those cards show the working copy's description until the API's next release.
ALTER TABLE group_live ADD COLUMN description TEXT;
