// Bundles the storefront script and its checkout-sdk part for browsers with esbuild. Run by npm's
// prepare step (so `npm ci` leaves a servable build) and by the browser test (so it always
// exercises the current source). Usage: node connectors/bigcommerce/storefront/build.ts
import { build } from 'esbuild';
import { join } from 'node:path';
import { STOREFRONT_BUNDLES, STOREFRONT_DIST } from './assets.ts';

export async function buildStorefront(outdir: string = STOREFRONT_DIST): Promise<void> {
  await build({
    entryPoints: Object.entries(STOREFRONT_BUNDLES).map(([out, entry]) => ({ in: join(import.meta.dirname, entry), out: out.replace(/\.js$/, '') })),
    outdir,
    bundle: true,
    // Classic scripts, as the Script Manager inserts them: nothing leaks into the page's globals.
    format: 'iife',
    platform: 'browser',
    // The browsers BigCommerce's own checkout supports; older syntax would only grow the bundle.
    target: ['es2020'],
    minify: true,
    define: { 'process.env.NODE_ENV': '"production"' },
    logLevel: 'warning',
  });
}

if (import.meta.main) {
  await buildStorefront();
  console.log(`storefront bundles written to ${STOREFRONT_DIST}`);
}
