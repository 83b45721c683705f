// The shapes BigCommerce sends us and answers with, parsed at the edge. Only the fields we read
// are declared; everything else BigCommerce adds later passes through unnoticed.
import { z } from 'zod';

export const StoreHash = z.string().regex(/^[a-z0-9]{1,40}$/, 'a BigCommerce store hash');
export const StoreContext = z.string().regex(/^stores\/[a-z0-9]{1,40}$/, 'stores/{hash}');

export const hashOfContext = (context: string): string => context.slice('stores/'.length);

/** The thin envelope of every webhook delivery. */
export const WebhookEnvelope = z.object({
  scope: z.string().min(1).max(200),
  store_id: z.union([z.string(), z.number()]),
  // Most scopes send an object; the batch price-list scopes send a list. What a scope's data must
  // hold is checked when it is normalised, so a shape we do not read is parked, not refused.
  data: z.union([z.looseObject({ type: z.string().optional(), id: z.union([z.number(), z.string()]).optional() }), z.array(z.unknown())]).default({}),
  hash: z.string().min(1).max(200).optional(),
  // Documented examples leave it out (the Webhooks Overview's store/order/statusUpdated).
  created_at: z.number().int().positive().optional(),
  producer: StoreContext,
});
export type WebhookEnvelope = z.infer<typeof WebhookEnvelope>;

const Id = z.coerce.number().int().positive();

export const EntityData = z.object({ id: Id });
export const InventoryData = z.object({
  id: Id,
  inventory: z.object({
    product_id: Id,
    variant_id: Id.optional(),
    method: z.enum(['absolute', 'relative']),
    value: z.number(),
  }),
});
export const CartData = z.object({ id: z.string().min(1).max(100) });
// The stock-changed scope (store/channel/{any}/inventory/product/stock_changed): one item at one location.
export const StockChangedData = z.object({ product_id: Id, variant_id: Id.nullish(), location_id: Id });

/** Inventory API (`GET /v3/inventory/items`): an item's stock at every location. */
export const InventoryItem = z.object({
  identity: z.object({ product_id: Id, variant_id: Id.nullish(), sku: z.string().nullish() }),
  locations: z
    .array(
      z.object({
        location_id: z.number().int(),
        location_name: z.string().max(255).nullish(),
        location_code: z.string().nullish(),
        available_to_sell: z.number().int().nullish(),
      }),
    )
    .default([]),
});
export type InventoryItem = z.infer<typeof InventoryItem>;
export const InventoryItemsPage = z.object({
  data: z.array(InventoryItem),
  meta: z.object({ pagination: z.object({ total_pages: z.number().int(), current_page: z.number().int() }).partial() }).partial().default({}),
});

/** OAuth token endpoint answer at install. */
export const TokenResponse = z.object({
  access_token: z.string().min(1),
  scope: z.string().default(''),
  context: StoreContext,
  user: z.object({ id: z.number(), email: z.string() }).optional(),
  owner: z.object({ id: z.number(), email: z.string() }).optional(),
  account_uuid: z.string().optional(),
});

export const StoreInfo = z.object({ domain: z.string().min(1).max(255), secure_url: z.string().optional() });

const money = z.coerce.number().finite().min(0);

export const ApiVariant = z.object({
  id: z.number().int(),
  sku: z.string().nullish(),
  price: z.number().nullish(),
  calculated_price: z.number().nullish(),
  inventory_level: z.number().int().nullish(),
  option_values: z.array(z.object({ label: z.string(), option_display_name: z.string().optional() })).default([]),
});

export const ApiProduct = z.object({
  id: z.number().int(),
  name: z.string(),
  sku: z.string().nullish(),
  price: z.number().nullish(),
  inventory_level: z.number().int().nullish(),
  inventory_tracking: z.enum(['none', 'product', 'variant']),
  custom_url: z.object({ url: z.string() }).nullish(),
  images: z.array(z.object({ url_standard: z.string().optional(), is_thumbnail: z.boolean().optional() })).default([]),
  variants: z.array(ApiVariant).default([]),
});
export type ApiProduct = z.infer<typeof ApiProduct>;

export const ProductResponse = z.object({ data: ApiProduct });
export const ProductsPage = z.object({
  data: z.array(ApiProduct),
  meta: z.object({ pagination: z.object({ total_pages: z.number().int(), current_page: z.number().int() }).partial() }).partial().default({}),
});

const CartLine = z.object({
  id: z.string(),
  product_id: z.number().int(),
  variant_id: z.number().int().nullish(),
  sku: z.string().nullish(),
  name: z.string().nullish(),
  url: z.string().nullish(),
  image_url: z.string().nullish(),
  quantity: z.number().int().positive(),
  list_price: z.number().nullish(),
  sale_price: z.number().nullish(),
});
export type CartLine = z.infer<typeof CartLine>;

export const CartResponse = z.object({
  data: z.object({
    id: z.string(),
    customer_id: z.number().int().default(0),
    email: z.string().nullish(),
    currency: z.object({ code: z.string() }).partial().nullish(),
    cart_amount: z.number().nullish(),
    line_items: z.object({ physical_items: z.array(CartLine).default([]), digital_items: z.array(CartLine).default([]) }).partial().default({}),
    created_time: z.string().nullish(),
    updated_time: z.string().nullish(),
  }),
});
export type Cart = z.infer<typeof CartResponse>['data'];

export const ApiOrder = z.object({
  id: z.number().int(),
  customer_id: z.number().int().default(0),
  date_created: z.string(),
  status_id: z.number().int(),
  status: z.string().optional(),
  date_modified: z.string().nullish(),
  date_shipped: z.string().nullish(),
  total_inc_tax: money,
  currency_code: z.string().optional(),
  billing_address: z.object({ first_name: z.string().optional(), last_name: z.string().optional(), email: z.string().optional() }).partial().default({}),
});
export type ApiOrder = z.infer<typeof ApiOrder>;

export const ApiOrderProduct = z.object({
  id: z.number().int(),
  product_id: z.number().int(),
  variant_id: z.number().int().nullish(),
  name: z.string().nullish(),
  sku: z.string().nullish(),
  quantity: z.number().int(),
  price_inc_tax: money.nullish(),
  total_inc_tax: money.nullish(),
});
export type ApiOrderProduct = z.infer<typeof ApiOrderProduct>;

/** GET /v3/orders/{id}/payment_actions/refunds: each refund of an order, with its amount. */
export const ApiRefunds = z.object({
  data: z.array(z.object({ id: z.number().int(), created: z.string().nullish(), total_amount: money.nullish() })),
});
export type ApiRefund = z.infer<typeof ApiRefunds>['data'][number];

export const ApiCustomer = z.object({
  id: z.number().int(),
  email: z.string(),
  first_name: z.string().nullish(),
  last_name: z.string().nullish(),
  phone: z.string().nullish(),
  customer_group_id: z.number().int().nullish(),
});
export type ApiCustomer = z.infer<typeof ApiCustomer>;
export const CustomersResponse = z.object({ data: z.array(ApiCustomer) });

export const ApiHook = z.object({
  id: z.number().int(),
  scope: z.string(),
  destination: z.string(),
  is_active: z.boolean(),
});
export type ApiHook = z.infer<typeof ApiHook>;
export const HooksResponse = z.object({ data: z.array(ApiHook) });
export const HookResponse = z.object({ data: ApiHook });
