-- Shoppers asking to hear when a variant is back in stock (Klaviyo's back-in-stock
-- subscriptions). Stored now; the back-in-stock flow reads them, then sets notified_at.
CREATE TABLE back_in_stock_requests (
  store_id uuid NOT NULL,
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  profile_id uuid NOT NULL,
  variant_id uuid NOT NULL,
  channels text[] NOT NULL CHECK (cardinality(channels) > 0),
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  notified_at timestamptz,
  PRIMARY KEY (store_id, id),
  FOREIGN KEY (store_id, profile_id) REFERENCES profiles (store_id, id) ON DELETE CASCADE,
  FOREIGN KEY (store_id, variant_id) REFERENCES variants (store_id, id) ON DELETE CASCADE
);

-- One open request per person and variant: asking again renews it.
CREATE UNIQUE INDEX back_in_stock_requests_open ON back_in_stock_requests (store_id, variant_id, profile_id) WHERE notified_at IS NULL;
