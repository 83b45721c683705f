-- The strongest proof a store's webhook deliveries have carried. Once a delivery signed the
-- Standard Webhooks way (webhook-id, webhook-timestamp, webhook-signature) has been accepted for
-- a store, deliveries proven only by the static secret header are refused for it.
ALTER TABLE stores ADD COLUMN webhook_signing text NOT NULL DEFAULT 'header'
  CHECK (webhook_signing IN ('header', 'standard-webhooks'));
