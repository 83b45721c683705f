-- The price trigger learns its level from its own argument, not from TG_TABLE_NAME: a trigger fires
-- on the table that holds the row, which is a partition or a Citus shard (variants_102008) once the
-- table is split, and there a variant's change was recorded as the product's.
CREATE OR REPLACE FUNCTION record_price_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  r jsonb := to_jsonb(NEW);
  lvl text := TG_ARGV[0];
  pid uuid := COALESCE((r->>'product_id')::uuid, (r->>'id')::uuid);
  vid uuid := CASE WHEN TG_ARGV[0] = 'variant' THEN (r->>'id')::uuid END;
  before numeric;
  prev record;
  episode bigint;
  obs bigint;
BEGIN
  IF TG_OP = 'UPDATE' THEN
    IF OLD.price IS NOT DISTINCT FROM NEW.price THEN RETURN NULL; END IF;
    before := OLD.price;
  END IF;
  IF before IS NOT NULL AND NEW.price IS NOT NULL AND NEW.price < before THEN
    SELECT o.old_price, o.new_price, o.episode_id INTO prev FROM price_observations o
    WHERE o.store_id = NEW.store_id AND o.product_id = pid AND o.variant_id IS NOT DISTINCT FROM vid
    ORDER BY o.id DESC LIMIT 1;
    IF FOUND AND prev.new_price < prev.old_price THEN episode := prev.episode_id; END IF;
  END IF;
  INSERT INTO price_observations (store_id, level, product_id, variant_id, old_price, new_price, episode_id)
  VALUES (NEW.store_id, lvl, pid, vid, before, NEW.price, episode) RETURNING id INTO obs;
  IF before IS NOT NULL AND NEW.price IS NOT NULL AND NEW.price < before THEN
    IF episode IS NULL THEN
      UPDATE price_observations SET episode_id = obs WHERE store_id = NEW.store_id AND id = obs;
    END IF;
    -- Only falls can start a price-drop flow; they reach the flow engine exactly once this way.
    INSERT INTO flow_trigger_queue (store_id, kind, observation_id, at) VALUES (NEW.store_id, 'price', obs, now());
  END IF;
  RETURN NULL;
END $$;

DROP TRIGGER products_price_observed ON products;
DROP TRIGGER variants_price_observed ON variants;
CREATE TRIGGER products_price_observed AFTER INSERT OR UPDATE OF price ON products
  FOR EACH ROW EXECUTE FUNCTION record_price_change('product');
CREATE TRIGGER variants_price_observed AFTER INSERT OR UPDATE OF price ON variants
  FOR EACH ROW EXECUTE FUNCTION record_price_change('variant');
