// Which links belong to a store. Anything holding the public key can post events, so a URL in
// event data is the store's only when its host is one of the store's own domains: the platform
// domain it was installed with, plus the storefront domains the merchant lists and those the
// platform reports (recorded by the catalog sync). Other URLs are removed before they are stored
// (public key) and again before a message is rendered.
import { z } from 'zod';

/** A host name as a merchant types it: `shop.example.com`, no scheme, path or port. */
export const StorefrontDomain = z
  .string()
  .trim()
  .toLowerCase()
  .transform((v) => v.replace(/\.$/, ''))
  .pipe(
    z
      .string()
      .max(253)
      .regex(/^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$/, 'a host name such as shop.example.com'),
  );

export const StorefrontDomains = z.array(StorefrontDomain).max(20).transform((list) => [...new Set(list)]);

/** The hosts a store's links may point at; subdomains of each count too (www., checkout.). */
export function ownHosts(store: { domain: string }, storefrontDomains: readonly string[]): string[] {
  const platform = StorefrontDomain.safeParse(store.domain);
  return [...new Set([...(platform.success ? [platform.data] : []), ...storefrontDomains])];
}

/** An absolute http(s) URL on one of the hosts. */
export function isOwnUrl(value: string, hosts: readonly string[]): boolean {
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    return false;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return false;
  const host = url.hostname.toLowerCase().replace(/\.$/, '');
  return hosts.some((h) => host === h || host.endsWith(`.${h}`));
}

// Browsers drop tabs and newlines inside a URL and leading spaces and controls before it, so
// "java\tscript:" is still a scheme; the same is done here before looking.
const SCHEME = /^(?:https?|javascript|vbscript|data|file|ftp|blob|intent):|^[/\\]{2}/i;
/** Property names that carry a link (CheckoutURL, ImageURL, URL, ProductURL, Link, href, src). */
const LINK_KEY = /(url|uri|link|href|src)$/i;

/** Links inside running text ("pay at https://…"), which phones and mail clients make clickable. */
const EMBEDDED = /(?:https?:)?\/\/[^\s<>"']+/gi;

function isForeign(key: string | undefined, value: string, hosts: readonly string[]): boolean {
  const bare = value.replace(/[\t\n\r]/g, '').replace(/^[\u0000-\u0020]+/, '');
  // A link field holding "evil.example/x" is autolinked too, scheme or not.
  if (SCHEME.test(bare) || (key !== undefined && LINK_KEY.test(key) && bare.length > 0)) return !isOwnUrl(bare, hosts);
  for (const m of value.matchAll(EMBEDDED)) if (!isOwnUrl(m[0].startsWith('//') ? `https:${m[0]}` : m[0], hosts)) return true;
  return false;
}

/**
 * A copy of `value` without the links that are not the store's: object keys holding one are
 * removed, list entries that are one are dropped. Returns the paths removed, for the log.
 */
export function withoutForeignLinks<T>(value: T, hosts: readonly string[]): { value: T; removed: string[] } {
  const removed: string[] = [];
  const walk = (v: unknown, key: string | undefined, path: string, depth: number): { keep: boolean; v: unknown } => {
    if (typeof v === 'string') {
      const foreign = isForeign(key, v, hosts);
      if (foreign) removed.push(path || '(value)');
      return { keep: !foreign, v };
    }
    if (depth > 64 || v === null || typeof v !== 'object' || v instanceof Date) return { keep: true, v };
    if (Array.isArray(v)) {
      const out: unknown[] = [];
      v.forEach((x, i) => {
        const r = walk(x, key, `${path}[${i}]`, depth + 1);
        if (r.keep) out.push(r.v);
      });
      return { keep: true, v: out };
    }
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      const r = walk(x, k, path ? `${path}.${k}` : k, depth + 1);
      if (r.keep) out[k] = r.v;
    }
    return { keep: true, v: out };
  };
  return { value: walk(value, undefined, '', 0).v as T, removed };
}
