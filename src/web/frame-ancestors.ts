// Who may frame a response. helmet's default (frame-ancestors 'self' plus X-Frame-Options) stays on
// everything, except pages a platform admin launched and the merchant app of a session it started:
// those may be framed by that store's admin, and by nothing else. The list differs per store, so
// it is written per response, never as a wildcard such as https://*.myshopify.com.
import type { Response } from 'express';
import type { Config } from '../config.ts';
import type { Store } from '../model/store.ts';

export const SHOPIFY_ADMIN = 'https://admin.shopify.com';
/**
 * BigCommerce renders app callbacks "in an iframe in the store's control panel", which lives on
 * the store's own host; installs started from the marketplace run on its login host.
 */
export const BIGCOMMERCE_LOGIN = 'https://login.bigcommerce.com';
/** Wix dashboard pages (manage.wix.com/dashboard/{site}/…) frame the app's iframe URL. */
export const WIX_DASHBOARD = 'https://manage.wix.com';
/**
 * Shopify requires embedded apps to load App Bridge from exactly this address (not a copy, not a
 * bundle), so it is the one script from outside our origin, and only on embedded Shopify pages.
 */
export const APP_BRIDGE_SRC = 'https://cdn.shopify.com/shopifycloud/app-bridge.js';

const SHOP_HOST = /^[a-z0-9][a-z0-9-]*\.myshopify\.com$/;
const STORE_HASH = /^[a-z0-9]{1,40}$/;

export const shopifyAdmins = (shop: string): string[] => (SHOP_HOST.test(shop) ? [`https://${shop}`, SHOPIFY_ADMIN] : []);
export const bigcommerceAdmins = (storeHash: string): string[] =>
  STORE_HASH.test(storeHash) ? [`https://store-${storeHash}.mybigcommerce.com`, BIGCOMMERCE_LOGIN] : [];
export const wixAdmins = (): string[] => [WIX_DASHBOARD];

/** The admin origins that embed this store's app; empty for custom catalogs, which have none. */
export function adminOrigins(store: Pick<Store, 'platform' | 'domain' | 'externalId'>): string[] {
  switch (store.platform) {
    case 'shopify':
      return shopifyAdmins(store.domain);
    case 'bigcommerce':
      return store.externalId ? bigcommerceAdmins(store.externalId) : [];
    case 'wix':
      return wixAdmins();
    default:
      return [];
  }
}

function setDirective(res: Response, name: string, build: (current: string | undefined) => string): void {
  const header = res.getHeader('Content-Security-Policy');
  const policy = typeof header === 'string' ? header : '';
  const parts = policy.split(';').map((p) => p.trim()).filter(Boolean);
  const at = parts.findIndex((p) => p.split(/\s+/)[0] === name);
  const current = at >= 0 ? parts[at]!.slice(name.length).trim() : undefined;
  const next = `${name} ${build(current)}`;
  if (at >= 0) parts[at] = next;
  else parts.push(next);
  res.setHeader('Content-Security-Policy', parts.join(';'));
}

/**
 * Lets the given admin origins (and, outside production, the configured extra ones) frame this
 * response. X-Frame-Options goes: it cannot name an allow-list, and browsers that know
 * frame-ancestors ignore it anyway. With no origin to allow, the response keeps its default.
 */
export function allowFramingBy(res: Response, config: Pick<Config, 'extraFrameAncestors'>, origins: readonly string[]): void {
  if (origins.length === 0) return;
  setDirective(res, 'frame-ancestors', () => [...origins, ...config.extraFrameAncestors].join(' '));
  res.removeHeader('X-Frame-Options');
}

/** Adds App Bridge to script-src; call only on responses rendered inside the Shopify admin. */
export function allowAppBridge(res: Response): void {
  setDirective(res, 'script-src', (current) => (current?.includes(APP_BRIDGE_SRC) ? current : `${current ?? "'self'"} ${APP_BRIDGE_SRC}`));
}
