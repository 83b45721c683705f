// The built storefront bundles, as the app serves them. They are built from this folder by
// build.ts (npm's prepare step runs it on install); the server only reads the result, so
// esbuild and checkout-sdk stay build-time dependencies.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

export const STOREFRONT_DIST = join(import.meta.dirname, '..', '..', '..', 'dist', 'bigcommerce');

/** Served name → the entry in this folder it is built from. */
export const STOREFRONT_BUNDLES = {
  'storefront.js': 'storefront.js',
  'storefront-checkout.js': 'checkout-sdk.js',
} as const;
export type StorefrontBundle = keyof typeof STOREFRONT_BUNDLES;

export const isStorefrontBundle = (name: string): name is StorefrontBundle => Object.hasOwn(STOREFRONT_BUNDLES, name);

const cache = new Map<StorefrontBundle, string>();

/** The bundle's text, or null when it has not been built. */
export async function readStorefrontBundle(name: StorefrontBundle): Promise<string | null> {
  const known = cache.get(name);
  if (known !== undefined) return known;
  try {
    const text = await readFile(join(STOREFRONT_DIST, name), 'utf8');
    cache.set(name, text);
    return text;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}
