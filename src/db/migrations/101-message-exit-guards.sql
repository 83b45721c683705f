-- What stops a flow message at the last moment: the "has not done X" splits its run passed, as
-- {metric, since, atLeast}. Delivery asks them once more when it claims the message, so an order
-- that arrives after the email was made but before it goes out still stops it.
ALTER TABLE messages ADD COLUMN exit_if jsonb;
