// Webhook payloads as Shopify documents them (REST JSON), only the fields we read. Ids arrive
// as JSON numbers, often past 2^53; the body is parsed with parseExactJson, which hands those
// over as their exact digits, and every id is kept as a decimal string, the form the catalog
// and events use.
import { z } from 'zod';

// A JSON number past 2^53 arrives as its digits (parseExactJson). One that still arrives as a
// number has already lost digits (parsed elsewhere with plain JSON.parse): refused, not guessed.
export const ShopifyId = z
  .union([z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER), z.string().regex(/^\d{1,20}$/)])
  .transform((v) => String(v));

/** Prices are decimal strings ("19.99"); a missing or unparseable one is treated as absent. */
const Money = z
  .union([z.string(), z.number()])
  .nullish()
  .transform((v) => {
    const n = v === null || v === undefined || v === '' ? NaN : Number(v);
    return Number.isFinite(n) && n >= 0 ? n : null;
  });

const Text = z.string().nullish();

export const ProductPayload = z.object({
  id: ShopifyId,
  title: z.string(),
  handle: Text,
  status: Text,
  updated_at: Text,
  image: z.object({ src: z.string() }).nullish(),
  images: z.array(z.object({ src: z.string() })).nullish(),
  variants: z
    .array(
      z.object({
        id: ShopifyId,
        title: Text,
        sku: Text,
        price: Money,
        inventory_item_id: ShopifyId.nullish(),
        inventory_quantity: z.number().int().nullish(),
        inventory_management: Text,
      }),
    )
    .default([]),
});
export type ProductPayload = z.infer<typeof ProductPayload>;

export const ProductDeletePayload = z.object({ id: ShopifyId });

export const InventoryLevelPayload = z.object({
  inventory_item_id: ShopifyId,
  location_id: ShopifyId,
  available: z.number().int().nullable(),
  updated_at: Text,
  admin_graphql_api_id: Text,
});
export type InventoryLevelPayload = z.infer<typeof InventoryLevelPayload>;

const Customer = z.object({
  id: ShopifyId,
  email: Text,
  phone: Text,
  first_name: Text,
  last_name: Text,
});

const LineItem = z.object({
  id: ShopifyId.nullish(),
  product_id: ShopifyId.nullish(),
  variant_id: ShopifyId.nullish(),
  sku: Text,
  title: Text,
  variant_title: Text,
  quantity: z.number().int().positive(),
  price: Money,
});
export type LineItem = z.infer<typeof LineItem>;

export const CheckoutPayload = z.object({
  id: ShopifyId,
  token: Text,
  email: Text,
  phone: Text,
  created_at: Text,
  updated_at: Text,
  completed_at: Text,
  currency: Text,
  total_price: Money,
  abandoned_checkout_url: Text,
  customer: Customer.nullish(),
  line_items: z.array(LineItem).default([]),
});
export type CheckoutPayload = z.infer<typeof CheckoutPayload>;

export const OrderPayload = z.object({
  id: ShopifyId,
  name: Text,
  email: Text,
  phone: Text,
  created_at: Text,
  processed_at: Text,
  currency: Text,
  total_price: Money,
  customer: Customer.nullish(),
  discount_codes: z.array(z.object({ code: z.string() })).nullish(),
  line_items: z.array(LineItem).default([]),
  order_number: z.union([z.number(), z.string()]).nullish(),
  checkout_id: ShopifyId.nullish(),
  updated_at: Text,
  financial_status: Text,
  fulfillment_status: Text,
  cancelled_at: Text,
  cancel_reason: Text,
  fulfillments: z
    .array(z.object({ id: ShopifyId, status: Text, created_at: Text, tracking_numbers: z.array(z.string()).nullish(), tracking_urls: z.array(z.string()).nullish() }))
    .nullish(),
  refunds: z
    .array(
      z.object({
        id: ShopifyId,
        created_at: Text,
        transactions: z.array(z.object({ amount: Money, kind: Text, status: Text })).nullish(),
      }),
    )
    .nullish(),
});
export type OrderPayload = z.infer<typeof OrderPayload>;

const Consent = z.object({ state: Text }).nullish();

export const CustomerPayload = Customer.extend({
  created_at: Text,
  updated_at: Text,
  tags: Text,
  email_marketing_consent: Consent,
  sms_marketing_consent: Consent,
});
export type CustomerPayload = z.infer<typeof CustomerPayload>;

export const UninstalledPayload = z.object({ id: ShopifyId.nullish(), myshopify_domain: Text });

const ComplianceCustomer = z.object({ id: ShopifyId.nullish(), email: Text, phone: Text });

export const CustomerRedactPayload = z.object({
  shop_domain: z.string(),
  customer: ComplianceCustomer,
  orders_to_redact: z.array(ShopifyId).nullish(),
});

export const DataRequestPayload = z.object({
  shop_domain: z.string(),
  customer: ComplianceCustomer,
  orders_requested: z.array(ShopifyId).nullish(),
  data_request: z.object({ id: ShopifyId }),
});

export const ShopRedactPayload = z.object({ shop_domain: z.string() });

const SCHEMAS: Record<string, z.ZodType> = {
  'products/create': ProductPayload,
  'products/update': ProductPayload,
  'products/delete': ProductDeletePayload,
  'inventory_levels/update': InventoryLevelPayload,
  'checkouts/create': CheckoutPayload,
  'checkouts/update': CheckoutPayload,
  'orders/create': OrderPayload,
  'orders/updated': OrderPayload,
  'orders/fulfilled': OrderPayload,
  'orders/cancelled': OrderPayload,
  'customers/create': CustomerPayload,
  'customers/update': CustomerPayload,
  'app/uninstalled': UninstalledPayload,
  'customers/data_request': DataRequestPayload,
  'customers/redact': CustomerRedactPayload,
  'shop/redact': ShopRedactPayload,
};

/** The schema of a topic we handle; undefined for topics we acknowledge and ignore. */
export function payloadSchemaFor(topic: string): z.ZodType | undefined {
  return Object.hasOwn(SCHEMAS, topic) ? SCHEMAS[topic] : undefined;
}
