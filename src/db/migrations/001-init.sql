-- Common model. Every table is keyed by store_id first so a store's rows sit together and
-- the schema can be distributed by store_id (Citus) without cross-store joins.

CREATE TABLE stores (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  platform text NOT NULL CHECK (platform IN ('shopify', 'bigcommerce', 'wix', 'custom')),
  domain text NOT NULL,
  external_id text,
  status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'uninstalled')),
  access_token_enc text,
  scopes text[] NOT NULL DEFAULT '{}',
  public_key text NOT NULL UNIQUE,
  private_key_id text NOT NULL UNIQUE,
  private_key_hash bytea NOT NULL,
  low_inventory_catalog text NOT NULL DEFAULT 'integration' CHECK (low_inventory_catalog IN ('integration', 'custom')),
  event_mapping jsonb NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (platform, domain)
);

CREATE TABLE products (
  store_id uuid NOT NULL REFERENCES stores (id) ON DELETE CASCADE,
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  external_id text NOT NULL,
  title text NOT NULL,
  url text,
  image_url text,
  price numeric(14, 2),
  inventory_tracking text NOT NULL DEFAULT 'product' CHECK (inventory_tracking IN ('product', 'variant', 'none')),
  inventory_quantity integer,
  source_updated_at timestamptz NOT NULL,
  deleted_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (store_id, id),
  UNIQUE (store_id, external_id)
);

CREATE TABLE variants (
  store_id uuid NOT NULL,
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  product_id uuid NOT NULL,
  external_id text NOT NULL,
  sku text,
  title text,
  price numeric(14, 2),
  inventory_quantity integer,
  source_updated_at timestamptz NOT NULL,
  deleted_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (store_id, id),
  UNIQUE (store_id, product_id, external_id),
  FOREIGN KEY (store_id, product_id) REFERENCES products (store_id, id) ON DELETE CASCADE
);

-- Every quantity change, old and new: the history chart and the low-inventory trigger read it.
CREATE TABLE inventory_observations (
  store_id uuid NOT NULL,
  id bigint GENERATED ALWAYS AS IDENTITY,
  product_id uuid NOT NULL,
  variant_id uuid,
  level text NOT NULL CHECK (level IN ('product', 'variant')),
  old_quantity integer,
  new_quantity integer,
  source_updated_at timestamptz NOT NULL,
  observed_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (store_id, id)
);
CREATE INDEX inventory_observations_item ON inventory_observations (store_id, product_id, variant_id, id);

CREATE TABLE profiles (
  store_id uuid NOT NULL REFERENCES stores (id) ON DELETE CASCADE,
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  email text,
  phone text,
  external_id text,
  first_name text,
  last_name text,
  timezone text,
  properties jsonb NOT NULL DEFAULT '{}',
  email_consent text NOT NULL DEFAULT 'never_subscribed' CHECK (email_consent IN ('subscribed', 'unsubscribed', 'never_subscribed')),
  sms_consent text NOT NULL DEFAULT 'never_subscribed' CHECK (sms_consent IN ('subscribed', 'unsubscribed', 'never_subscribed')),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (store_id, id)
);
CREATE UNIQUE INDEX profiles_email ON profiles (store_id, email) WHERE email IS NOT NULL;
CREATE UNIQUE INDEX profiles_phone ON profiles (store_id, phone) WHERE phone IS NOT NULL;
CREATE UNIQUE INDEX profiles_external_id ON profiles (store_id, external_id) WHERE external_id IS NOT NULL;

CREATE TABLE profile_lists (
  store_id uuid NOT NULL,
  list text NOT NULL,
  profile_id uuid NOT NULL,
  joined_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (store_id, list, profile_id),
  FOREIGN KEY (store_id, profile_id) REFERENCES profiles (store_id, id) ON DELETE CASCADE
);

CREATE TABLE events (
  store_id uuid NOT NULL REFERENCES stores (id) ON DELETE CASCADE,
  id bigint GENERATED ALWAYS AS IDENTITY,
  metric text NOT NULL,
  profile_id uuid NOT NULL,
  time timestamptz NOT NULL,
  value numeric(14, 2),
  properties jsonb NOT NULL DEFAULT '{}',
  unique_id text NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (store_id, id),
  UNIQUE (store_id, unique_id)
);
CREATE INDEX events_metric_time ON events (store_id, metric, time);
CREATE INDEX events_profile_time ON events (store_id, profile_id, time);

-- Items in their own table so audience queries ("who viewed product X") are set-based.
CREATE TABLE event_items (
  store_id uuid NOT NULL,
  event_id bigint NOT NULL,
  position smallint NOT NULL,
  product_external_id text,
  variant_external_id text,
  quantity integer NOT NULL DEFAULT 1,
  price numeric(14, 2),
  PRIMARY KEY (store_id, event_id, position),
  FOREIGN KEY (store_id, event_id) REFERENCES events (store_id, id) ON DELETE CASCADE
);
CREATE INDEX event_items_product ON event_items (store_id, product_external_id, event_id);
CREATE INDEX event_items_variant ON event_items (store_id, variant_external_id, event_id) WHERE variant_external_id IS NOT NULL;

-- Webhook delivery ids seen recently; platforms retry and duplicate, we act once.
CREATE TABLE webhook_deliveries (
  store_id uuid NOT NULL,
  source text NOT NULL,
  delivery_id text NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (store_id, source, delivery_id)
);
CREATE INDEX webhook_deliveries_received ON webhook_deliveries (received_at);
