-- +goose Up
-- The name licensing gives a license's holder (licensing.license.* events'
-- holder_name), and the bidder's name as it stood at the opening, so that
-- the published opening record names its bidders.
ALTER TABLE vendor_license ADD COLUMN holder_name text NOT NULL DEFAULT '';
ALTER TABLE opened_bid ADD COLUMN vendor_name text NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE opened_bid DROP COLUMN vendor_name;
ALTER TABLE vendor_license DROP COLUMN holder_name;
