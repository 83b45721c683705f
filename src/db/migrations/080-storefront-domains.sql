-- Host names the merchant's storefront answers on besides the platform domain (custom domains).
-- A link in event data that arrives with the public key, or that a message would show, is kept
-- only when its host is the platform domain or one of these (or a subdomain of either).
ALTER TABLE stores ADD COLUMN storefront_domains text[] NOT NULL DEFAULT '{}';
