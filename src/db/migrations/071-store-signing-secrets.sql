-- Each store signs its outbound webhooks with its own secret, sealed under ENCRYPTION_KEY like
-- access tokens. After a rotation the previous secret keeps signing alongside the new one until
-- webhook_secret_previous_until, so receivers can switch over without dropping calls. Stores made
-- before this get theirs the first time one is needed.
ALTER TABLE stores
  ADD COLUMN webhook_secret_enc text,
  ADD COLUMN webhook_secret_previous_enc text,
  ADD COLUMN webhook_secret_previous_until timestamptz,
  ADD COLUMN webhook_secret_rotated_at timestamptz;
