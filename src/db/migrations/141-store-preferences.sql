-- How the merchant app shows a store's dates and money, and the timezone used for shoppers
-- whose own is unknown. A store without a row reads as UTC and USD.
CREATE TABLE store_preferences (
  store_id uuid PRIMARY KEY REFERENCES stores (id) ON DELETE CASCADE,
  timezone text NOT NULL DEFAULT 'UTC',
  currency text NOT NULL DEFAULT 'USD' CHECK (currency ~ '^[A-Z]{3}$'),
  updated_at timestamptz NOT NULL DEFAULT now()
);
