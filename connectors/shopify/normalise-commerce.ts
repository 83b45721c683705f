// Checkouts, orders and customers → events and profiles. Property names follow the convention
// merchants already send (ProductID, VariantID, Items[{ProductID, VariantID, Quantity, ItemPrice}]).
import { MAX_MONEY } from '../../src/model/catalog.ts';
import { Metrics, type EventInput, type EventItemInput } from '../../src/model/event.ts';
import type { ExternalProductId, ExternalVariantId } from '../../src/model/ids.ts';
import { Email, Phone, type ConsentState, type ProfileIdentity, type ProfileInput } from '../../src/model/profile.ts';
import type { CheckoutPayload, CustomerPayload, LineItem, OrderPayload } from './payloads.ts';

type Person = { id?: string | null; email?: string | null; phone?: string | null };

/** Who an event is about: the Shopify customer id when there is one, plus any valid email or phone. */
export function identityOf(...people: Array<Person | null | undefined>): ProfileIdentity | null {
  const out: ProfileIdentity = {};
  for (const p of people) {
    if (!p) continue;
    if (!out.externalId && p.id) out.externalId = p.id;
    const email = Email.safeParse(p.email ?? undefined);
    if (!out.email && email.success) out.email = email.data;
    const phone = Phone.safeParse(p.phone ?? undefined);
    if (!out.phone && phone.success) out.phone = phone.data;
  }
  return out.externalId || out.email || out.phone ? out : null;
}

const money = (n: number | null): number | null => (n !== null && n <= MAX_MONEY ? n : null);

function time(s: string | null | undefined, fallback: Date): Date {
  const d = s ? new Date(s) : fallback;
  return Number.isNaN(d.getTime()) ? fallback : d;
}

/** Lines without a product (custom items, tips) name nothing in the catalog and are left out. */
function catalogLines(lines: LineItem[]): Array<LineItem & { product_id: string }> {
  return lines.filter((l): l is LineItem & { product_id: string } => Boolean(l.product_id));
}

function itemOf(l: LineItem & { product_id: string }): EventItemInput {
  return {
    productExternalId: l.product_id as ExternalProductId,
    variantExternalId: (l.variant_id ?? null) as ExternalVariantId | null,
    quantity: l.quantity,
    price: money(l.price),
  };
}

function itemProperties(l: LineItem & { product_id: string }): Record<string, unknown> {
  return {
    ProductID: l.product_id,
    VariantID: l.variant_id ?? null,
    SKU: l.sku ?? null,
    ProductName: l.title ?? null,
    VariantName: l.variant_title ?? null,
    Quantity: l.quantity,
    ItemPrice: money(l.price),
    RowTotal: l.price === null ? null : money(Math.round(l.price * l.quantity * 100) / 100),
  };
}

/**
 * The unique id of a checkout's Started Checkout. The web pixel's checkout_started derives the
 * same from the same token (pixel/src/index.js), so a shopper both sources see is stored once.
 */
export function checkoutUniqueId(c: Pick<CheckoutPayload, 'id' | 'token'>): string {
  const token = c.token?.trim();
  return token ? `shopify:checkout-token:${token}` : `shopify:checkout:${c.id}`;
}

/**
 * One Started Checkout per checkout: the pixel, create and every update share the unique id,
 * so whichever first names the shopper is recorded and the rest are duplicates. A later update
 * with other line items does not replace the stored event: Started Checkout marks the moment
 * the shopper began, flows entered on it at once (trigger splits and the low-inventory audience
 * read its items), and what was finally bought arrives as Placed Order. Only what an earlier
 * copy could not see is filled in: the recovery URL and checkout id, which the pixel never has
 * and the abandoned-checkout email links to.
 */
export function checkoutEvents(c: CheckoutPayload, receivedAt: Date): EventInput[] {
  const profile = identityOf(c.customer, { email: c.email, phone: c.phone });
  const lines = catalogLines(c.line_items);
  if (!profile || lines.length === 0) return [];
  return [
    {
      metric: Metrics.startedCheckout,
      profile,
      time: time(c.created_at, receivedAt),
      value: money(c.total_price),
      properties: {
        CheckoutID: c.id,
        CheckoutToken: c.token ?? null,
        CheckoutURL: c.abandoned_checkout_url ?? null,
        Currency: c.currency ?? null,
        ItemNames: lines.map((l) => l.title).filter(Boolean),
        Items: lines.map(itemProperties),
      },
      items: lines.map(itemOf),
      uniqueId: checkoutUniqueId(c),
      fillable: ['CheckoutURL', 'CheckoutID'],
    },
  ];
}

/** Placed Order with every line, and one Ordered Product per line. */
export function orderEvents(o: OrderPayload, receivedAt: Date): EventInput[] {
  const profile = identityOf(o.customer, { email: o.email, phone: o.phone });
  if (!profile) return [];
  const at = time(o.processed_at ?? o.created_at, receivedAt);
  const lines = catalogLines(o.line_items);
  const placed: EventInput = {
    metric: Metrics.placedOrder,
    profile,
    time: at,
    value: money(o.total_price),
    properties: {
      OrderID: o.id,
      OrderName: o.name ?? null,
      Currency: o.currency ?? null,
      DiscountCodes: (o.discount_codes ?? []).map((d) => d.code),
      ItemNames: lines.map((l) => l.title).filter(Boolean),
      Items: lines.map(itemProperties),
    },
    items: lines.map(itemOf),
    uniqueId: `shopify:order:${o.id}`,
  };
  const ordered = lines.map(
    (l, i): EventInput => ({
      metric: Metrics.orderedProduct,
      profile,
      time: at,
      value: l.price === null ? null : money(Math.round(l.price * l.quantity * 100) / 100),
      properties: { OrderID: o.id, ...itemProperties(l) },
      items: [itemOf(l)],
      uniqueId: `shopify:order:${o.id}:line:${l.id ?? i}`,
    }),
  );
  return [placed, ...ordered];
}

/** Shopify's consent states → ours. Anything not clearly given or withdrawn is "never subscribed". */
export function consentOf(state: string | null | undefined): ConsentState | undefined {
  switch (state?.toLowerCase()) {
    case undefined:
      return undefined;
    case 'subscribed':
      return 'subscribed';
    // Withdrawn, or an address that must not be written to.
    case 'unsubscribed':
    case 'redacted':
    case 'invalid':
      return 'unsubscribed';
    default:
      return 'never_subscribed';
  }
}

export function customerProfile(c: CustomerPayload): ProfileInput | null {
  const identity = identityOf(c);
  if (!identity) return null;
  const email = consentOf(c.email_marketing_consent?.state);
  const sms = consentOf(c.sms_marketing_consent?.state);
  const tags = (c.tags ?? '').split(',').map((t) => t.trim()).filter(Boolean);
  return {
    ...identity,
    ...(c.first_name?.trim() ? { firstName: c.first_name.trim().slice(0, 255) } : {}),
    ...(c.last_name?.trim() ? { lastName: c.last_name.trim().slice(0, 255) } : {}),
    ...(email || sms ? { consent: { ...(email ? { email } : {}), ...(sms ? { sms } : {}) } } : {}),
    ...(tags.length ? { properties: { ShopifyTags: tags } } : {}),
  };
}
