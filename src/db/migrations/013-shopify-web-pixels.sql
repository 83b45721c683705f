-- Whether each Shopify store's web pixel is switched on, and with which settings. A refused
-- activation stays 'failed' with Shopify's reason (the merchant sees it) and is retried by the
-- worker with backoff; a changed public key or app address sends the settings again.
CREATE TABLE shopify_web_pixels (
  store_id uuid PRIMARY KEY REFERENCES stores (id) ON DELETE CASCADE,
  status text NOT NULL CHECK (status IN ('active', 'failed')),
  web_pixel_id text,
  app_url text,
  public_key text,
  attempts integer NOT NULL DEFAULT 0,
  last_error text,
  next_attempt_at timestamptz,
  activated_at timestamptz,
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX shopify_web_pixels_retry ON shopify_web_pixels (next_attempt_at) WHERE status = 'failed';
