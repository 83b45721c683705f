// The order events of the common model, built once from CommonOrder. Property names follow the
// convention merchants already send (DESIGN §3): ProductID, VariantID, Price on single-item
// events; Items of {ProductID, VariantID, Quantity, ItemPrice} on order-wide ones; the event's
// value is the order's (or line's, or refund's) amount.
import { Metrics, type EventInput, type EventItemInput } from './event.ts';
import type { ExternalProductId, ExternalVariantId } from './ids.ts';
import { CommonOrder, money, type CommonOrderInput, type CommonOrderLine } from './order.ts';

const rowTotal = (l: CommonOrderLine): number | null => (l.price === null ? null : money(l.price * l.quantity));

function itemOf(l: CommonOrderLine): EventItemInput {
  return { productExternalId: l.productId as ExternalProductId, variantExternalId: l.variantId as ExternalVariantId | null, quantity: l.quantity, price: l.price };
}

function itemProperties(l: CommonOrderLine): Record<string, unknown> {
  return {
    ProductID: l.productId,
    VariantID: l.variantId,
    SKU: l.sku,
    ProductName: l.title,
    VariantName: l.variantTitle,
    Quantity: l.quantity,
    ItemPrice: l.price,
    RowTotal: rowTotal(l),
    ProductURL: l.url,
    ImageURL: l.imageUrl,
  };
}

/** What every order-wide event says about the order. */
function orderProperties(o: CommonOrder): Record<string, unknown> {
  return {
    OrderID: o.orderId,
    OrderNumber: o.number,
    Currency: o.currency,
    Status: o.status,
    ...(o.checkoutId ? { CheckoutID: o.checkoutId } : {}),
    DiscountCodes: o.discountCodes,
    ItemNames: o.lineItems.map((l) => l.title).filter(Boolean),
    ItemCount: o.lineItems.reduce((n, l) => n + l.quantity, 0),
    Items: o.lineItems.map(itemProperties),
  };
}

const key = (o: CommonOrder, ...rest: string[]) => [o.platform, 'order', o.orderId, ...rest].join(':');

/** Placed Order with every line, and one Ordered Product per line. */
export function placedOrderEvents(input: CommonOrderInput): EventInput[] {
  const o = CommonOrder.parse(input);
  const placed: EventInput = {
    metric: Metrics.placedOrder,
    profile: o.customer,
    time: o.placedAt,
    value: o.total,
    properties: orderProperties(o),
    items: o.lineItems.map(itemOf),
    uniqueId: key(o),
  };
  const ordered = o.lineItems.map(
    (l, i): EventInput => ({
      metric: Metrics.orderedProduct,
      profile: o.customer,
      time: o.placedAt,
      value: rowTotal(l),
      properties: { OrderID: o.orderId, OrderNumber: o.number, Currency: o.currency, ...itemProperties(l), Price: l.price },
      items: [itemOf(l)],
      uniqueId: key(o, 'line', l.lineId ?? String(i)),
    }),
  );
  return [placed, ...ordered];
}

/** The order as shipped (all of it); once per order. */
export function fulfilledOrderEvent(input: CommonOrderInput, f: { at: Date; trackingNumbers?: string[]; trackingUrls?: string[] }): EventInput {
  const o = CommonOrder.parse(input);
  return {
    metric: Metrics.fulfilledOrder,
    profile: o.customer,
    time: f.at,
    value: o.total,
    properties: { ...orderProperties(o), TrackingNumbers: f.trackingNumbers ?? [], TrackingURLs: f.trackingUrls ?? [] },
    items: o.lineItems.map(itemOf),
    uniqueId: key(o, 'fulfilled'),
  };
}

/** The order cancelled; its value is the order's, which reports take off the order's revenue. */
export function cancelledOrderEvent(input: CommonOrderInput, c: { at: Date; reason?: string | null }): EventInput {
  const o = CommonOrder.parse(input);
  return {
    metric: Metrics.cancelledOrder,
    profile: o.customer,
    time: c.at,
    value: o.total,
    properties: { ...orderProperties(o), Reason: c.reason ?? null },
    items: o.lineItems.map(itemOf),
    uniqueId: key(o, 'cancelled'),
  };
}

/**
 * One refund of the order; `refundId` names it so each refund is stored once. Its value is the
 * amount refunded, which reports take off the order's revenue.
 */
export function refundedOrderEvent(input: CommonOrderInput, r: { refundId: string; at: Date; amount: number | null }): EventInput {
  const o = CommonOrder.parse(input);
  return {
    metric: Metrics.refundedOrder,
    profile: o.customer,
    time: r.at,
    value: money(r.amount),
    properties: { ...orderProperties(o), RefundID: r.refundId },
    items: o.lineItems.map(itemOf),
    uniqueId: key(o, 'refund', r.refundId),
  };
}
