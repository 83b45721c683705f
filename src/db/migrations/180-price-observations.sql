-- Price drop trigger (docs/inventory-flows.md). Every change of a product's or variant's price
-- is kept with its old and new value, whatever path wrote it, in the same transaction as the
-- write: the database records it so the catalog write path stays one statement per table.
CREATE TABLE price_observations (
  store_id uuid NOT NULL,
  id bigint GENERATED ALWAYS AS IDENTITY,
  level text NOT NULL CHECK (level IN ('product', 'variant')),
  product_id uuid NOT NULL,
  variant_id uuid,
  old_price numeric(14, 2),
  new_price numeric(14, 2),
  -- Set on falls only: the id of the first fall since the price last rose (or was first seen).
  -- Every fall of one drop shares it, so a shopper hears of one drop once however it steps down.
  episode_id bigint,
  observed_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (store_id, id)
);
CREATE INDEX price_observations_item ON price_observations (store_id, product_id, variant_id, id);

ALTER TABLE flow_trigger_queue DROP CONSTRAINT flow_trigger_queue_kind_check;
ALTER TABLE flow_trigger_queue ADD CONSTRAINT flow_trigger_queue_kind_check CHECK (kind IN ('event', 'list', 'inventory', 'price'));

CREATE FUNCTION record_price_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  r jsonb := to_jsonb(NEW);
  lvl text := CASE WHEN TG_TABLE_NAME = 'variants' THEN 'variant' ELSE 'product' END;
  pid uuid := COALESCE((r->>'product_id')::uuid, (r->>'id')::uuid);
  vid uuid := CASE WHEN TG_TABLE_NAME = 'variants' THEN (r->>'id')::uuid END;
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

CREATE TRIGGER products_price_observed AFTER INSERT OR UPDATE OF price ON products
  FOR EACH ROW EXECUTE FUNCTION record_price_change();
CREATE TRIGGER variants_price_observed AFTER INSERT OR UPDATE OF price ON variants
  FOR EACH ROW EXECUTE FUNCTION record_price_change();
