-- A delivery is a duplicate only of one with the same id on the same topic. Retries always repeat
-- the topic, so nothing that was deduped before is let through twice; but an id a platform shares
-- between the topics one change fires (Shopify's event id names the event, not the delivery) can
-- no longer make us drop the second topic's delivery. See docs/webhooks-intake.md, "Dedupe".
ALTER TABLE webhook_inbox DROP CONSTRAINT webhook_inbox_store_id_source_delivery_id_key;
ALTER TABLE webhook_inbox ADD CONSTRAINT webhook_inbox_delivery_key UNIQUE (store_id, source, delivery_id, topic);
