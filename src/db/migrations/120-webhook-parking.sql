-- Deliveries the platform signed but we could not read are acknowledged and parked rather than
-- refused: outcome 'parked' with the reason in last_error, kept (never purged) until support
-- replays them after a fix. Earlier permanent failures ('failed') are the same thing.
UPDATE webhook_inbox SET outcome = 'parked' WHERE outcome = 'failed';
-- The bytes as received, kept only when they cannot be stored as jsonb (U+0000, nesting past
-- what jsonb takes): a replay parses them again with the code of the day.
ALTER TABLE webhook_inbox ADD COLUMN raw_body bytea;
CREATE INDEX webhook_inbox_parked ON webhook_inbox (store_id, id) WHERE outcome = 'parked';
