// Wix eCom checkouts and orders → shopper events, Wix contacts → profiles. Property names follow
// the convention merchants already send (DESIGN §3): Items of {ProductID, VariantID, Quantity,
// ItemPrice}, CheckoutURL on Started Checkout.
import { Metrics, type EventInput, type EventItemInput } from '../../src/model/event.ts';
import type { ExternalProductId, ExternalVariantId } from '../../src/model/ids.ts';
import { Email, Phone, type ConsentState, type ProfileIdentity, type ProfileInput } from '../../src/model/profile.ts';
import type { CommonOrderInput } from '../../src/model/order.ts';
import { cancelledOrderEvent, fulfilledOrderEvent, placedOrderEvents, refundedOrderEvent } from '../../src/model/order-events.ts';
import type { Checkout, Contact, Order, WixLineItem } from './payload-schemas.ts';

/** Amounts land in numeric(14, 2) columns; anything larger is treated as absent. */
const MAX_MONEY = 999_999_999_999.99;

function amount(v: string | undefined): number | null {
  if (v === undefined || v.trim() === '') return null;
  const n = Number(v);
  return Number.isFinite(n) && Math.abs(n) <= MAX_MONEY ? Math.round(n * 100) / 100 : null;
}

function date(...candidates: Array<string | null | undefined>): Date | null {
  for (const c of candidates) {
    const d = c ? new Date(c) : null;
    if (d && !Number.isNaN(d.getTime())) return d;
  }
  return null;
}

/** Who did it: every identifier Wix names (email, phone, the Wix contact); ingest joins them into one profile. */
export function identity(email: string | null | undefined, phone: string | null | undefined, contactId: string | null | undefined): ProfileIdentity | null {
  const out: ProfileIdentity = {};
  const e = Email.safeParse(email ?? undefined);
  if (e.success) out.email = e.data;
  const p = Phone.safeParse(phone ?? undefined);
  if (p.success) out.phone = p.data;
  const id = contactId?.trim();
  if (id) out.externalId = id.slice(0, 255);
  return out.email || out.phone || out.externalId ? out : null;
}

type Line = { lineId: string | null; item: EventItemInput; props: Record<string, unknown> };

function lines(items: WixLineItem[]): Line[] {
  return items.flatMap((li) => {
    const productId = li.catalogReference?.catalogItemId?.trim();
    if (!productId) return [];
    const variantId = li.catalogReference?.options?.variantId?.trim() || null;
    const quantity = li.quantity && li.quantity > 0 ? li.quantity : 1;
    const price = amount(li.price?.amount);
    return [
      {
        lineId: li.id ?? null,
        item: {
          productExternalId: productId as ExternalProductId,
          variantExternalId: variantId as ExternalVariantId | null,
          quantity,
          price,
        },
        props: {
          ProductID: productId,
          VariantID: variantId,
          ProductName: li.productName?.original ?? null,
          Quantity: quantity,
          ItemPrice: price,
          RowTotal: price === null ? null : Math.round(price * quantity * 100) / 100,
          ...(li.url ? { ProductURL: li.url } : {}),
          ...(li.image ? { ImageURL: li.image } : {}),
        },
      },
    ];
  });
}

/** Started Checkout, once per checkout: later updates of the same checkout are duplicates. */
export function checkoutEvent(c: Checkout, checkoutUrl: string | null, fallbackTime: Date): EventInput | null {
  const who = identity(c.buyerInfo?.email, c.billingInfo?.contactDetails?.phone, c.buyerInfo?.contactId);
  if (!who) return null;
  const ls = lines(c.lineItems);
  return {
    metric: Metrics.startedCheckout,
    profile: who,
    time: date(c.createdDate) ?? fallbackTime,
    value: amount(c.priceSummary?.subtotal?.amount) ?? amount(c.priceSummary?.total?.amount),
    properties: {
      CheckoutID: c.id,
      ...(checkoutUrl ? { CheckoutURL: checkoutUrl } : {}),
      Currency: c.currency ?? null,
      ItemNames: ls.map((l) => l.props.ProductName).filter(Boolean),
      ItemCount: ls.reduce((n, l) => n + l.item.quantity, 0),
      Items: ls.map((l) => l.props),
    },
    items: ls.map((l) => l.item),
    uniqueId: `wix:checkout:${c.id}`,
  };
}

/** The order in the common shape; null when it names no buyer. */
export function commonOrder(o: Order, fallbackTime: Date): CommonOrderInput | null {
  const who = identity(o.buyerInfo?.email, o.billingInfo?.contactDetails?.phone, o.buyerInfo?.contactId);
  if (!who) return null;
  return {
    platform: 'wix',
    orderId: o.id,
    number: o.number === undefined ? null : String(o.number),
    currency: o.currency ?? null,
    total: amount(o.priceSummary?.total?.amount),
    placedAt: date(o.purchasedDate, o.createdDate) ?? fallbackTime,
    customer: who,
    lineItems: lines(o.lineItems).map((l) => ({
      lineId: l.lineId,
      productId: l.item.productExternalId as string,
      variantId: l.item.variantExternalId as string | null,
      title: (l.props.ProductName as string | null) ?? null,
      quantity: l.item.quantity,
      price: l.item.price,
      url: (l.props.ProductURL as string | undefined) ?? null,
      imageUrl: (l.props.ImageURL as string | undefined) ?? null,
    })),
    status: o.status ?? null,
    checkoutId: o.checkoutId ?? null,
  };
}

/** Placed Order with all items, plus one Ordered Product per line; ids make order_created and order_approved one order. */
export function orderEvents(o: Order, fallbackTime: Date): EventInput[] {
  const order = commonOrder(o, fallbackTime);
  return order ? placedOrderEvents(order) : [];
}

/**
 * What an updated or cancelled order says happened since it was placed: FULFILLED is a
 * Fulfilled Order, CANCELED a Cancelled Order, FULLY_REFUNDED one Refunded Order of the total.
 * A partial refund's amount is not on the order, so it is not recorded here.
 */
export function orderChangeEvents(o: Order, changedAt: Date): EventInput[] {
  const order = commonOrder(o, changedAt);
  if (!order) return [];
  const at = date(o.updatedDate) ?? changedAt;
  const out: EventInput[] = [];
  if (o.fulfillmentStatus === 'FULFILLED') out.push(fulfilledOrderEvent(order, { at }));
  if (o.status === 'CANCELED') out.push(cancelledOrderEvent(order, { at }));
  if (o.paymentStatus === 'FULLY_REFUNDED') out.push(refundedOrderEvent(order, { refundId: 'full', at, amount: amount(o.priceSummary?.total?.amount) }));
  return out;
}

function consent(status: string | undefined): ConsentState | undefined {
  // PENDING (double opt-in not confirmed), NOT_SET and the like leave our state as it is.
  if (status === 'SUBSCRIBED') return 'subscribed';
  if (status === 'UNSUBSCRIBED') return 'unsubscribed';
  return undefined;
}

export function contactProfile(c: Contact): ProfileInput {
  const email = Email.safeParse(c.primaryEmail?.email ?? c.primaryInfo?.email ?? undefined);
  const phone = Phone.safeParse(c.primaryPhone?.e164Phone ?? c.primaryPhone?.phone ?? c.primaryInfo?.phone ?? undefined);
  const fields = c.info?.extendedFields?.items ?? {};
  const emailStatus = c.primaryEmail?.subscriptionStatus ?? (fields['emailSubscriptions.subscriptionStatus'] as string | undefined);
  const first = c.info?.name?.first?.trim();
  const last = c.info?.name?.last?.trim();
  const emailConsent = consent(emailStatus);
  const smsConsent = consent(c.primaryPhone?.subscriptionStatus);
  return {
    externalId: c.id,
    ...(email.success ? { email: email.data } : {}),
    ...(phone.success ? { phone: phone.data } : {}),
    ...(first ? { firstName: first.slice(0, 255) } : {}),
    ...(last ? { lastName: last.slice(0, 255) } : {}),
    ...(c.info?.birthdate ? { properties: { birthdate: c.info.birthdate } } : {}),
    ...(emailConsent || smsConsent ? { consent: { ...(emailConsent ? { email: emailConsent } : {}), ...(smsConsent ? { sms: smsConsent } : {}) } } : {}),
  };
}
