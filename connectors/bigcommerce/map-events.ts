// Carts, orders and customers read from BigCommerce, as events and profiles in the common model.
// Property names follow the convention merchants already send (DESIGN §3: ProductID, VariantID,
// Price; Items of {ProductID, VariantID, Quantity, ItemPrice}).
import { Email, Phone, type ProfileIdentity, type ProfileInput } from '../../src/model/profile.ts';
import { Metrics, type EventInput, type EventItemInput } from '../../src/model/event.ts';
import type { ExternalProductId, ExternalVariantId } from '../../src/model/ids.ts';
import type { ApiCustomer, ApiOrder, ApiOrderProduct, Cart, CartLine } from './schemas.ts';

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

/** Placed Order with every line, and one Ordered Product per line. */
export function orderToEvents(order: ApiOrder, lines: ApiOrderProduct[]): EventInput[] | null {
  const profile = identity(order.billing_address.email, order.customer_id);
  if (!profile) return null;
  const parsed = new Date(order.date_created);
  const time = Number.isNaN(parsed.getTime()) ? new Date(0) : parsed;
  const items = lines.map((l) => ({
    ProductID: String(l.product_id),
    VariantID: l.variant_id ? String(l.variant_id) : null,
    Quantity: l.quantity,
    ItemPrice: l.price_inc_tax ?? null,
    ProductName: l.name ?? null,
    SKU: l.sku ?? null,
  }));
  const placed: EventInput = {
    metric: Metrics.placedOrder,
    profile,
    time,
    value: order.total_inc_tax,
    properties: {
      OrderID: String(order.id),
      Items: items,
      ItemNames: lines.map((l) => l.name ?? '').filter(Boolean),
      ItemCount: lines.reduce((n, l) => n + l.quantity, 0),
      Currency: order.currency_code ?? null,
      Status: order.status ?? null,
    },
    items: lines.map((l) => item(l.product_id, l.variant_id, l.quantity, l.price_inc_tax ?? null)),
    uniqueId: `bigcommerce:order:${order.id}`,
  };
  const ordered = lines.map((l, i): EventInput => ({
    metric: Metrics.orderedProduct,
    profile,
    time,
    value: l.total_inc_tax ?? null,
    properties: { ...items[i]!, Price: l.price_inc_tax ?? null, OrderID: String(order.id) },
    items: [item(l.product_id, l.variant_id, l.quantity, l.price_inc_tax ?? null)],
    uniqueId: `bigcommerce:order:${order.id}:line:${l.id}`,
  }));
  return [placed, ...ordered];
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
