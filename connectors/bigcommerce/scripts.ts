// Our storefront script in the store's Script Manager, through the v3 Scripts API. Like the
// hooks, it is listed first and updated in place, so a reinstall (or a rotated public key, which
// changes the src) converges on one script instead of stacking copies that each send events.
import { z } from 'zod';
import type { StoreApi } from './api-client.ts';

export const STOREFRONT_SCRIPT_PATH = '/bigcommerce/storefront.js';

const ApiScript = z.looseObject({ uuid: z.string().min(1), src: z.string().nullish() });
type ApiScript = z.infer<typeof ApiScript>;
const ScriptsResponse = z.object({ data: z.array(ApiScript) });
const ScriptResponse = z.object({ data: ApiScript });

export function storefrontScriptSrc(appUrl: string, publicKey: string): string {
  return `${appUrl.replace(/\/$/, '')}${STOREFRONT_SCRIPT_PATH}?key=${encodeURIComponent(publicKey)}`;
}

/** Ours whatever key its src carries: the key may have been rotated since it was created. */
function isOurs(script: ApiScript, appUrl: string): boolean {
  const prefix = `${appUrl.replace(/\/$/, '')}${STOREFRONT_SCRIPT_PATH}`;
  return typeof script.src === 'string' && (script.src === prefix || script.src.startsWith(`${prefix}?`));
}

async function listOurScripts(api: StoreApi, appUrl: string): Promise<ApiScript[]> {
  const scripts: ApiScript[] = [];
  for (let page = 1; page <= 20; page++) {
    const body = ScriptsResponse.parse(await api.call({ method: 'GET', path: '/v3/content/scripts', params: { page, limit: 250 } }));
    scripts.push(...body.data);
    if (body.data.length < 250) break;
  }
  return scripts.filter((s) => isOurs(s, appUrl));
}

export type ScriptReport = { uuid: string; created: boolean };

export async function ensureStorefrontScript(api: StoreApi, o: { appUrl: string; publicKey: string }): Promise<ScriptReport> {
  const body = {
    name: 'Storeflow storefront events',
    description: 'Records Viewed Product and Started Checkout for Storeflow.',
    src: storefrontScriptSrc(o.appUrl, o.publicKey),
    kind: 'src',
    load_method: 'async',
    location: 'footer',
    // Product pages are storefront pages and Started Checkout needs the checkout page: all_pages
    // is the one visibility covering both (it needs the app's "Checkout content" scope).
    visibility: 'all_pages',
    // Event tracking: stores with a cookie-consent banner load it only for shoppers who allow analytics.
    consent_category: 'analytics',
    // BigCommerce removes it itself when the app is uninstalled, even if our own delete cannot run.
    auto_uninstall: true,
    enabled: true,
  };
  const [first, ...extra] = await listOurScripts(api, o.appUrl);
  for (const s of extra) await api.call({ method: 'DELETE', path: `/v3/content/scripts/${encodeURIComponent(s.uuid)}` });
  if (first) {
    ScriptResponse.parse(await api.call({ method: 'PUT', path: `/v3/content/scripts/${encodeURIComponent(first.uuid)}`, data: body }));
    return { uuid: first.uuid, created: false };
  }
  const created = ScriptResponse.parse(await api.call({ method: 'POST', path: '/v3/content/scripts', data: body }));
  return { uuid: created.data.uuid, created: true };
}

/** Deletes every copy of our script; returns how many were removed. */
export async function removeStorefrontScripts(api: StoreApi, appUrl: string): Promise<number> {
  const ours = await listOurScripts(api, appUrl);
  for (const s of ours) await api.call({ method: 'DELETE', path: `/v3/content/scripts/${encodeURIComponent(s.uuid)}` });
  return ours.length;
}
