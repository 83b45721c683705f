-- People who sign in to the browser side: support staff (global) and merchants (one store each),
-- and the server-side sessions both use. Session ids are stored hashed, so a read of this table
-- cannot be replayed as a cookie.
CREATE TABLE staff (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  email text NOT NULL UNIQUE,
  password_hash text NOT NULL,
  role text NOT NULL CHECK (role IN ('viewer', 'admin')),
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE merchant_accounts (
  store_id uuid NOT NULL REFERENCES stores (id) ON DELETE CASCADE,
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  -- One address signs in to one store, so the login form needs no store picker.
  email text NOT NULL UNIQUE,
  password_hash text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (store_id, id)
);

CREATE TABLE web_sessions (
  id_hash bytea PRIMARY KEY,
  audience text NOT NULL CHECK (audience IN ('app', 'support')),
  csrf_token text NOT NULL,
  staff_id uuid REFERENCES staff (id) ON DELETE CASCADE,
  store_id uuid REFERENCES stores (id) ON DELETE CASCADE,
  -- Who acts, as audit trails and message decisions name them.
  actor text,
  -- How a merchant got in: password, shopify, bigcommerce, wix.
  via text,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL
);
CREATE INDEX web_sessions_expiry ON web_sessions (expires_at);
