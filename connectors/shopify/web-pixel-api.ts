// The Admin GraphQL calls that switch the storefront web pixel on for a shop. Shopify checks the
// settings against the [settings] fields of pixel/shopify.extension.toml, so the keys sent here
// are exactly the fields declared there and read by pixel/src/index.js.
import { GraphqlQueryError } from '@shopify/shopify-api';
import { z } from 'zod';
import type { GraphqlCall } from './api-client.ts';

export type PixelSettings = { appUrl: string; publicKey: string };

export class WebPixelError extends Error {
  override name = 'WebPixelError';
}

const UserError = z.object({ code: z.string().nullish(), field: z.array(z.string()).nullish(), message: z.string() });
const Payload = z.object({ userErrors: z.array(UserError), webPixel: z.object({ id: z.string() }).nullish() });
type Payload = z.infer<typeof Payload>;
const Found = z.object({ webPixel: z.object({ id: z.string() }).nullish() });
const Created = z.object({ webPixelCreate: Payload });
const Updated = z.object({ webPixelUpdate: Payload });

const FIND = `query StoreflowWebPixel { webPixel { id } }`;
const CREATE = `mutation StoreflowWebPixelCreate($webPixel: WebPixelInput!) {
  webPixelCreate(webPixel: $webPixel) { userErrors { code field message } webPixel { id } }
}`;
const UPDATE = `mutation StoreflowWebPixelUpdate($id: ID!, $webPixel: WebPixelInput!) {
  webPixelUpdate(id: $id, webPixel: $webPixel) { userErrors { code field message } webPixel { id } }
}`;

/** The app's pixel on this shop, if one was created (an earlier install, or a retry that raced). */
async function findWebPixelId(call: GraphqlCall): Promise<string | null> {
  try {
    return Found.parse(await call(FIND)).webPixel?.id ?? null;
  } catch (err) {
    // Before the first webPixelCreate Shopify answers this query with an error, not with null.
    if (err instanceof GraphqlQueryError && /no web pixel was found/i.test(err.message)) return null;
    throw err;
  }
}

function pixelIdOf(p: Payload): string {
  if (p.userErrors.length > 0) {
    const reasons = p.userErrors.map((e) => [e.code, e.field?.length ? `(${e.field.join('.')})` : null, e.message].filter(Boolean).join(' '));
    throw new WebPixelError(`Shopify refused the web pixel: ${reasons.join('; ')}`);
  }
  if (!p.webPixel) throw new WebPixelError('Shopify answered without a web pixel');
  return p.webPixel.id;
}

/** Creates the shop's pixel with these settings, or updates the one that exists (a reinstall). */
export async function activateWebPixel(call: GraphqlCall, settings: PixelSettings): Promise<{ id: string; created: boolean }> {
  // WebPixelInput.settings is a JSON scalar; Shopify takes it as a JSON-encoded string.
  const webPixel = { settings: JSON.stringify(settings) };
  const update = async (id: string) => ({ id: pixelIdOf(Updated.parse(await call(UPDATE, { id, webPixel })).webPixelUpdate), created: false });
  const existing = await findWebPixelId(call);
  if (existing) return update(existing);
  const created = Created.parse(await call(CREATE, { webPixel })).webPixelCreate;
  if (created.userErrors.some((e) => e.code === 'TAKEN')) {
    // Another install of this shop created it between our query and our mutation.
    const raced = await findWebPixelId(call);
    if (raced) return update(raced);
  }
  return { id: pixelIdOf(created), created: true };
}
