-- The storefront hosts the platform reports for a store (Shopify's primary domain, BigCommerce's
-- store URL, the Wix site URL), written by the catalog sync and never by the merchant: they count
-- as the store's own beside the platform domain and the merchant's storefront_domains. Without
-- them a Wix store (whose stored domain is its instance id) or a Shopify store on a custom domain
-- had its real product and checkout links dropped from messages.
ALTER TABLE stores ADD COLUMN platform_storefront_domains text[] NOT NULL DEFAULT '{}';
