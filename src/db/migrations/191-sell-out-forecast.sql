-- Sell-out forecast episodes: an item (product or variant) a forecast flow expects to sell out
-- within its horizon. The flow fires once when an episode opens; the episode ends when the item
-- sells out or stock rises so the forecast is beyond the horizon again. One open episode per
-- flow and item, so concurrent evaluations (a stock change and the schedule) cannot both fire.
CREATE TABLE sell_out_episodes (
  store_id uuid NOT NULL REFERENCES stores (id) ON DELETE CASCADE,
  id bigint GENERATED ALWAYS AS IDENTITY,
  flow_id uuid NOT NULL,
  level text NOT NULL CHECK (level IN ('product', 'variant')),
  product_id uuid NOT NULL,
  variant_id uuid,
  started_at timestamptz NOT NULL,
  -- The lowest stock seen during the episode: a rise above it with the forecast past the
  -- horizon ends the episode.
  low_quantity integer NOT NULL,
  forecast_hours double precision NOT NULL,
  ended_at timestamptz,
  end_reason text,
  PRIMARY KEY (store_id, id)
);
CREATE UNIQUE INDEX sell_out_episodes_open ON sell_out_episodes (store_id, flow_id, product_id, COALESCE(variant_id, '00000000-0000-0000-0000-000000000000'))
  WHERE ended_at IS NULL;
