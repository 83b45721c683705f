// Checkouts, orders and customers → events and profiles. Property names follow the convention
// merchants already send (ProductID, VariantID, Items[{ProductID, VariantID, Quantity, ItemPrice}]).
import { MAX_MONEY } from '../../src/model/catalog.ts';
import { Metrics, type EventInput, type EventItemInput } from '../../src/model/event.ts';
import type { ExternalProductId, ExternalVariantId } from '../../src/model/ids.ts';
import { Email, Phone, type ConsentState, type ProfileIdentity, type ProfileInput } from '../../src/model/profile.ts';
import type { CommonOrderInput } from '../../src/model/order.ts';
import { cancelledOrderEvent, fulfilledOrderEvent, placedOrderEvents, refundedOrderEvent } from '../../src/model/order-events.ts';
import type { CheckoutPayload, CustomerPayload, LineItem, OrderPayload } from './payload-schemas.ts';

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

/** The order in the common shape; null when it names no shopper. */
export function commonOrder(o: OrderPayload, receivedAt: Date): CommonOrderInput | null {
  const customer = identityOf(o.customer, { email: o.email, phone: o.phone });
  if (!customer) return null;
  return {
    platform: 'shopify',
    orderId: o.id,
    number: o.name ?? (o.order_number == null ? null : String(o.order_number)),
    currency: o.currency ?? null,
    total: money(o.total_price),
    placedAt: time(o.processed_at ?? o.created_at, receivedAt),
    customer,
    lineItems: catalogLines(o.line_items).map((l) => ({
      lineId: l.id ?? null,
      productId: l.product_id,
      variantId: l.variant_id ?? null,
      sku: l.sku ?? null,
      title: l.title ?? null,
      variantTitle: l.variant_title ?? null,
      quantity: l.quantity,
      price: money(l.price),
    })),
    status: o.financial_status ?? null,
    checkoutId: o.checkout_id ?? null,
    discountCodes: (o.discount_codes ?? []).map((d) => d.code),
  };
}

/** Placed Order with every line, and one Ordered Product per line. */
export function orderEvents(o: OrderPayload, receivedAt: Date): EventInput[] {
  const order = commonOrder(o, receivedAt);
  return order ? placedOrderEvents(order) : [];
}

/**
 * What happened to an order since it was placed, read from the whole order that orders/updated,
 * orders/fulfilled and orders/cancelled all carry: fulfilled in full, cancelled, and each refund
 * with the amount its successful refund transactions returned. Every event has its own unique
 * id, so the many orders/updated deliveries of one order store each fact once.
 */
export function orderChangeEvents(o: OrderPayload, receivedAt: Date): EventInput[] {
  const order = commonOrder(o, receivedAt);
  if (!order) return [];
  const out: EventInput[] = [];
  if (o.fulfillment_status === 'fulfilled') {
    const shipped = (o.fulfillments ?? []).filter((f) => f.status !== 'cancelled' && f.status !== 'failure' && f.status !== 'error');
    const last = shipped.map((f) => f.created_at).filter((t): t is string => Boolean(t)).sort().at(-1);
    out.push(
      fulfilledOrderEvent(order, {
        at: time(last ?? o.updated_at, receivedAt),
        trackingNumbers: shipped.flatMap((f) => f.tracking_numbers ?? []),
        trackingUrls: shipped.flatMap((f) => f.tracking_urls ?? []),
      }),
    );
  }
  if (o.cancelled_at) out.push(cancelledOrderEvent(order, { at: time(o.cancelled_at, receivedAt), reason: o.cancel_reason ?? null }));
  for (const r of o.refunds ?? []) {
    const refunded = (r.transactions ?? []).filter((t) => t.kind === 'refund' && t.status === 'success').reduce((sum, t) => sum + (t.amount ?? 0), 0);
    out.push(refundedOrderEvent(order, { refundId: r.id, at: time(r.created_at, receivedAt), amount: refunded }));
  }
  return out;
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
