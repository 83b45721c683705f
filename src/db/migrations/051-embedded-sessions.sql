-- A merchant session started by a platform admin's launch (Shopify, BigCommerce, Wix) lives in
-- that admin's iframe: its cookie is sent cross-site and its pages may be framed by that admin.
ALTER TABLE web_sessions ADD COLUMN embedded boolean NOT NULL DEFAULT false;
