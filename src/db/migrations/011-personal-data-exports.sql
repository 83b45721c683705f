-- Answers to privacy-law data requests (Shopify's customers/data_request): a copy of what we
-- hold on a person, kept for the merchant to hand over. Erasing that person removes it too.
CREATE TABLE personal_data_exports (
  store_id uuid NOT NULL REFERENCES stores (id) ON DELETE CASCADE,
  request_id text NOT NULL,
  requested_at timestamptz NOT NULL DEFAULT now(),
  data jsonb NOT NULL,
  PRIMARY KEY (store_id, request_id)
);
