// Storeflow web pixel. Shopify runs it in its strict sandbox on storefront and checkout pages
// and feeds it the shopper's standard events; three of them become our storefront metrics,
// posted to /api/v1/track with the store's public key (the only credential a browser may hold).
import { register } from '@shopify/web-pixels-extension';

// Pixel payloads name products and variants by their numeric id; a gid is reduced to the same
// number so events meet the catalog, which the Admin API sync files under legacy ids.
function numericId(id) {
  if (typeof id === 'number' && Number.isFinite(id)) return String(id);
  if (typeof id !== 'string' || id.trim() === '') return null;
  const tail = id.trim().split('/').pop();
  return tail === undefined || tail === '' ? null : tail;
}

function amount(money) {
  const raw = money && typeof money === 'object' ? money.amount : money;
  const n = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw;
  return typeof n === 'number' && Number.isFinite(n) ? n : null;
}

const text = (v) => (typeof v === 'string' && v.trim() !== '' ? v.trim() : null);

/**
 * Who the shopper is, from the logged-in customer, what checkout collected, and the browser's
 * Shopify client id. The customer id is the one Shopify's customers/* webhooks carry, so pixel
 * and webhook events share a profile; the client id keeps an anonymous shopper's events together
 * until they give an email at checkout, when ingest joins them to that person.
 */
function identity(customer, extra, clientId) {
  const profile = {};
  const anonymousId = text(clientId);
  const externalId = numericId(customer && customer.id);
  const email = text(customer && customer.email) || text(extra && extra.email);
  const phone = text(customer && customer.phone) || text(extra && extra.phone);
  if (externalId) profile.externalId = externalId;
  if (email) profile.email = email;
  if (phone) profile.phone = phone;
  if (anonymousId) profile.anonymousId = anonymousId.slice(0, 255);
  return profile.externalId || profile.email || profile.phone || profile.anonymousId ? profile : null;
}

function viewedProduct(data) {
  const variant = data && data.productVariant;
  if (!variant) return null;
  const product = variant.product || {};
  const price = amount(variant.price);
  return {
    metric: 'Viewed Product',
    value: price,
    properties: {
      ProductID: numericId(product.id),
      VariantID: numericId(variant.id),
      Price: price,
      ProductName: text(product.title),
      VariantName: text(variant.title),
      SKU: text(variant.sku),
      URL: text(product.url),
      ImageURL: text(variant.image && variant.image.src),
    },
  };
}

function addedToCart(data) {
  const line = data && data.cartLine;
  const merchandise = line && line.merchandise;
  if (!merchandise) return null;
  const product = merchandise.product || {};
  const price = amount(merchandise.price);
  const quantity = Number.isInteger(line.quantity) && line.quantity > 0 ? line.quantity : 1;
  const lineTotal = amount(line.cost && line.cost.totalAmount);
  return {
    metric: 'Added to Cart',
    value: lineTotal !== null ? lineTotal : price === null ? null : Math.round(price * quantity * 100) / 100,
    properties: {
      ProductID: numericId(product.id),
      VariantID: numericId(merchandise.id),
      Price: price,
      Quantity: quantity,
      ProductName: text(product.title),
      VariantName: text(merchandise.title),
      SKU: text(merchandise.sku),
    },
  };
}

function startedCheckout(data) {
  const checkout = data && data.checkout;
  if (!checkout) return null;
  // Lines without a product (gift cards by code, tips) name nothing in the catalog.
  const items = (Array.isArray(checkout.lineItems) ? checkout.lineItems : []).flatMap((line) => {
    const variant = (line && line.variant) || {};
    const productId = numericId(variant.product && variant.product.id);
    if (!productId) return [];
    return [
      {
        ProductID: productId,
        VariantID: numericId(variant.id),
        Quantity: Number.isInteger(line.quantity) && line.quantity > 0 ? line.quantity : 1,
        ItemPrice: amount(variant.price),
        ProductName: text(variant.product.title) || text(line.title),
        SKU: text(variant.sku),
      },
    ];
  });
  if (items.length === 0) return null;
  return {
    metric: 'Started Checkout',
    value: amount(checkout.totalPrice),
    properties: {
      CheckoutToken: text(checkout.token),
      Currency: text(checkout.currencyCode),
      ItemNames: items.map((i) => i.ProductName).filter(Boolean),
      Items: items,
    },
    // One event per checkout: a reload fires checkout_started again, and the checkouts/* webhooks
    // key the same checkout by the same token (normalise-orders.ts checkoutUniqueId).
    uniqueId: text(checkout.token) ? `shopify:checkout-token:${checkout.token.trim()}` : undefined,
  };
}

const MAPPERS = {
  product_viewed: viewedProduct,
  product_added_to_cart: addedToCart,
  checkout_started: startedCheckout,
};

register(({ analytics, init, settings }) => {
  const appUrl = text(settings && settings.appUrl);
  const publicKey = text(settings && settings.publicKey);
  // A pixel switched on before the merchant finished setup has nowhere to post.
  if (!appUrl || !publicKey) return;
  const endpoint = `${appUrl.replace(/\/+$/, '')}/api/v1/track`;
  const customer = (init && init.data && init.data.customer) || null;

  for (const [name, map] of Object.entries(MAPPERS)) {
    analytics.subscribe(name, (event) => {
      const mapped = map(event && event.data);
      if (!mapped) return undefined;
      const checkout = event.data && event.data.checkout;
      const profile = identity(customer, checkout, event && event.clientId);
      if (!profile) return undefined;
      const body = { publicKey, metric: mapped.metric, profile, properties: mapped.properties };
      if (mapped.value !== null) body.value = mapped.value;
      const uniqueId = mapped.uniqueId || (text(event.id) ? `shopify:pixel:${event.id.trim()}` : undefined);
      if (uniqueId) body.uniqueId = uniqueId.slice(0, 255);
      // text/plain keeps the request simple (no CORS preflight); keepalive lets it finish while
      // the shopper navigates away, which is exactly when add-to-cart and checkout fire.
      return fetch(endpoint, {
        method: 'POST',
        keepalive: true,
        headers: { 'Content-Type': 'text/plain;charset=UTF-8' },
        body: JSON.stringify(body),
      }).catch(() => undefined);
    });
  }
});
