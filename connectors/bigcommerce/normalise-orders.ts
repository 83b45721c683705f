// Carts, orders and customers read from BigCommerce, as events and profiles in the common model.
// Property names follow the convention merchants already send (DESIGN §3: ProductID, VariantID,
// Price; Items of {ProductID, VariantID, Quantity, ItemPrice}).
import { Email, Phone, type ProfileIdentity, type ProfileInput } from '../../src/model/profile.ts';
import { Metrics, type EventInput, type EventItemInput } from '../../src/model/event.ts';
import type { ExternalProductId, ExternalVariantId } from '../../src/model/ids.ts';
import type { CommonOrderInput } from '../../src/model/order.ts';
import { money } from '../../src/model/order.ts';
import { cancelledOrderEvent, fulfilledOrderEvent, placedOrderEvents, refundedOrderEvent } from '../../src/model/order-events.ts';
import type { ApiCustomer, ApiOrder, ApiOrderProduct, ApiRefund, Cart, CartLine } from './payload-schemas.ts';

function email(v: string | null | undefined): string | undefined {
  const r = Email.safeParse(v ?? '');
  return r.success ? r.data : undefined;
}

/** Whom an event belongs to: the email and the customer account, each when BigCommerce has it (guests have no account). */
function identity(mail: string | null | undefined, customerId: number): ProfileIdentity | null {
  const out: ProfileIdentity = {};
  const e = email(mail);
  if (e) out.email = e;
  if (customerId > 0) out.externalId = String(customerId);
  return out.email || out.externalId ? out : null;
}

const item = (productId: number, variantId: number | null | undefined, quantity: number, price: number | null): EventItemInput => ({
  productExternalId: String(productId) as ExternalProductId,
  variantExternalId: variantId ? (String(variantId) as ExternalVariantId) : null,
  quantity,
  price,
});

/**
 * One Added to Cart per line and quantity seen: a cart update that raises a line's quantity is a
 * new add, while a repeat of the same cart state (or a removal) adds nothing.
 */
export function cartToEvents(cart: Cart, time: Date): EventInput[] | null {
  const profile = identity(cart.email, cart.customer_id);
  if (!profile) return null;
  const lines: CartLine[] = [...(cart.line_items.physical_items ?? []), ...(cart.line_items.digital_items ?? [])];
  return lines.map((l) => {
    const price = l.sale_price ?? l.list_price ?? null;
    return {
      metric: Metrics.addedToCart,
      profile,
      time,
      value: price === null ? null : price * l.quantity,
      properties: {
        ProductID: String(l.product_id),
        VariantID: l.variant_id ? String(l.variant_id) : null,
        Price: price,
        Quantity: l.quantity,
        ProductName: l.name ?? null,
        SKU: l.sku ?? null,
        URL: l.url ?? null,
        ImageURL: l.image_url ?? null,
        CartID: cart.id,
        Currency: cart.currency?.code ?? null,
      },
      items: [item(l.product_id, l.variant_id, l.quantity, price)],
      uniqueId: `bigcommerce:cart:${cart.id}:${l.id}:${l.quantity}`,
    };
  });
}

/** BigCommerce's order status ids (GET /v2/order_statuses). */
export const OrderStatus = { refunded: 4, cancelled: 5, shipped: 2, completed: 10, partiallyRefunded: 14 } as const;

function dateOf(...candidates: Array<string | null | undefined>): Date | null {
  for (const c of candidates) {
    const d = c ? new Date(c) : null;
    if (d && !Number.isNaN(d.getTime())) return d;
  }
  return null;
}

/** The order in the common shape; null when it names no shopper. */
export function commonOrder(order: ApiOrder, lines: ApiOrderProduct[]): CommonOrderInput | null {
  const customer = identity(order.billing_address.email, order.customer_id);
  if (!customer) return null;
  return {
    platform: 'bigcommerce',
    orderId: String(order.id),
    number: String(order.id),
    currency: order.currency_code ?? null,
    total: money(order.total_inc_tax),
    placedAt: dateOf(order.date_created) ?? new Date(0),
    customer,
    lineItems: lines.map((l) => ({
      lineId: String(l.id),
      productId: String(l.product_id),
      variantId: l.variant_id ? String(l.variant_id) : null,
      sku: l.sku ?? null,
      title: l.name ?? null,
      quantity: l.quantity,
      price: money(l.price_inc_tax),
    })),
    status: order.status ?? null,
  };
}

/** Placed Order with every line, and one Ordered Product per line. */
export function orderToEvents(order: ApiOrder, lines: ApiOrderProduct[]): EventInput[] | null {
  const common = commonOrder(order, lines);
  return common ? placedOrderEvents(common) : null;
}

/**
 * What the order's current status says happened since it was placed: Shipped or Completed is a
 * Fulfilled Order, Cancelled a Cancelled Order, and each refund (read from the refunds API, as
 * the order carries only their sum) a Refunded Order. Their unique ids store each fact once
 * however many status changes are delivered.
 */
export function orderStatusEvents(order: ApiOrder, lines: ApiOrderProduct[], refunds: ApiRefund[]): EventInput[] {
  const common = commonOrder(order, lines);
  if (!common) return [];
  const changedAt = dateOf(order.date_modified, order.date_created) ?? new Date(0);
  const out: EventInput[] = [];
  if (order.status_id === OrderStatus.shipped || order.status_id === OrderStatus.completed) {
    out.push(fulfilledOrderEvent(common, { at: dateOf(order.date_shipped) ?? changedAt }));
  }
  if (order.status_id === OrderStatus.cancelled) out.push(cancelledOrderEvent(common, { at: changedAt }));
  for (const r of refunds) out.push(refundedOrderEvent(common, { refundId: String(r.id), at: dateOf(r.created) ?? changedAt, amount: r.total_amount ?? null }));
  return out;
}

export function customerToProfile(c: ApiCustomer): ProfileInput {
  const phone = Phone.safeParse(c.phone ?? '');
  const mail = email(c.email);
  return {
    ...(mail ? { email: mail } : {}),
    externalId: String(c.id),
    ...(c.first_name ? { firstName: c.first_name.slice(0, 255) } : {}),
    ...(c.last_name ? { lastName: c.last_name.slice(0, 255) } : {}),
    // BigCommerce keeps phones as typed; only ones already in E.164 can be used for SMS.
    ...(phone.success ? { phone: phone.data } : {}),
    properties: { bigcommerceCustomerGroupId: c.customer_group_id ?? null },
  };
}
