-- When each Shopify store's expiring offline token runs out, so the refresher finds the ones
-- due without opening every sealed credential. The secrets stay sealed in stores.access_token_enc.
CREATE TABLE shopify_tokens (
  store_id uuid PRIMARY KEY REFERENCES stores (id) ON DELETE CASCADE,
  expires_at timestamptz,
  refresh_expires_at timestamptz,
  installed_at timestamptz NOT NULL DEFAULT now(),
  refreshed_at timestamptz,
  last_error text,
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX shopify_tokens_due ON shopify_tokens (expires_at) WHERE expires_at IS NOT NULL;
