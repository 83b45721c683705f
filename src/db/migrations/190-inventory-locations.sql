-- Stock per location (Shopify locations, BigCommerce inventory locations, Wix locations). The
-- merchant picks which locations count: a variant's quantity is its stock at the counted ones,
-- so stock held only at a shop counter no longer keeps a sold-out item "in stock" online.
CREATE TABLE locations (
  store_id uuid NOT NULL REFERENCES stores (id) ON DELETE CASCADE,
  location_id text NOT NULL,
  name text,
  counts boolean NOT NULL DEFAULT true,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (store_id, location_id)
);

CREATE TABLE variant_locations (
  store_id uuid NOT NULL,
  variant_id uuid NOT NULL,
  location_id text NOT NULL,
  available integer,
  updated_at timestamptz NOT NULL,
  PRIMARY KEY (store_id, variant_id, location_id),
  FOREIGN KEY (store_id, variant_id) REFERENCES variants (store_id, id) ON DELETE CASCADE,
  FOREIGN KEY (store_id, location_id) REFERENCES locations (store_id, location_id) ON DELETE CASCADE
);
CREATE INDEX variant_locations_location ON variant_locations (store_id, location_id);

-- Why a quantity changed: the source said so, or the merchant changed which locations count
-- (a recount, which never starts a low-inventory flow by itself).
ALTER TABLE inventory_observations ADD COLUMN cause text NOT NULL DEFAULT 'source' CHECK (cause IN ('source', 'recount'));
