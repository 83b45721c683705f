/* Storeflow storefront events for BigCommerce. The app installs it through the Scripts API as
 *   <script async src="https://YOUR-APP/bigcommerce/storefront.js?key=pk_…"></script>
 * and a merchant may add the same tag by hand. Optional data attributes on the tag:
 *   data-key            the store's public key, instead of ?key=
 *   data-email / data-customer-id   who the shopper is, when the theme knows it
 *   data-product-id, data-variant-id, data-price, data-product-name   override what the page shows
 *   data-checkout-id    the checkout to read, where window.checkoutConfig is absent
 * Product pages: Viewed Product, with the id Stencil themes render on the product view
 * (data-entity-id, or the add-to-cart form's product_id). Checkout page: Started Checkout with
 * the checkout's line items, read through checkout-sdk. Nothing is sent until the shopper is
 * known (signed-in customer, checkout email, or remembered from an earlier visit).
 */
(function () {
  var script = document.currentScript;
  if (!script || !script.src) return;
  var src = new URL(script.src);
  var attr = function (name) {
    var v = script.getAttribute(name);
    return v && v.trim() ? v.trim() : null;
  };
  var key = attr('data-key') || src.searchParams.get('key');
  if (!key) return;
  var endpoint = new URL('/api/v1/track', src).toString();
  // Shared with t.js, so a shopper identified by either script is known to both.
  var STORE = 'storeflow:profile';
  var EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

  function remembered() {
    try {
      var p = JSON.parse(localStorage.getItem(STORE) || 'null');
      return p && (p.email || p.phone || p.externalId) ? p : null;
    } catch (e) {
      return null;
    }
  }
  function remember(p) {
    try {
      localStorage.setItem(STORE, JSON.stringify(p));
    } catch (e) {
      /* storage blocked: this page still sends with it */
    }
  }
  function fromTag() {
    var email = attr('data-email');
    if (email && EMAIL.test(email)) return { email: email };
    var id = attr('data-customer-id');
    return id && id !== '0' ? { externalId: id } : null;
  }
  function send(metric, properties, extra, shopper) {
    var who = shopper || fromTag() || remembered();
    if (!who) return false;
    var body = { publicKey: key, metric: metric, profile: who, properties: properties };
    for (var k in extra) if (extra[k] !== undefined && extra[k] !== null) body[k] = extra[k];
    var text = JSON.stringify(body);
    // text/plain keeps it a simple request: no CORS preflight from the store's domain.
    if (!(navigator.sendBeacon && navigator.sendBeacon(endpoint, new Blob([text], { type: 'text/plain' })))) {
      fetch(endpoint, { method: 'POST', body: text, headers: { 'Content-Type': 'text/plain' }, keepalive: true, mode: 'cors' }).catch(function () {});
    }
    return true;
  }
  function number(v) {
    var n = typeof v === 'string' ? Number(v.replace(/[^0-9.\-]/g, '')) : v;
    return typeof n === 'number' && isFinite(n) && String(v).trim() !== '' ? n : undefined;
  }

  function viewedProduct() {
    var view = document.querySelector('[data-event-type="product"][data-entity-id]');
    var input = document.querySelector('form[data-cart-item-add] input[name="product_id"]');
    var productId = attr('data-product-id') || (view && view.getAttribute('data-entity-id')) || (input && input.value) || null;
    if (!productId) return;
    var props = { ProductID: productId.trim(), URL: location.href };
    var variantId = attr('data-variant-id');
    if (variantId) props.VariantID = variantId;
    var price = number(attr('data-price') || (view && view.getAttribute('data-product-price')) || '');
    if (price !== undefined) props.Price = price;
    var name = attr('data-product-name') || (view && view.getAttribute('data-name'));
    if (name) props.ProductName = name.trim();
    send('Viewed Product', props);
  }

  function checkoutId() {
    var config = window.checkoutConfig;
    return attr('data-checkout-id') || (config && config.checkoutId ? String(config.checkoutId) : null);
  }
  function loadSdk() {
    return new Promise(function (resolve, reject) {
      if (window.StoreflowCheckoutSdk) return resolve(window.StoreflowCheckoutSdk);
      var tag = document.createElement('script');
      tag.src = new URL('/bigcommerce/storefront-checkout.js', src).toString();
      tag.async = true;
      tag.onload = function () {
        window.StoreflowCheckoutSdk ? resolve(window.StoreflowCheckoutSdk) : reject(new Error('checkout-sdk did not load'));
      };
      tag.onerror = reject;
      document.head.appendChild(tag);
    });
  }
  function shopperOf(checkout) {
    var customer = checkout.customer || {};
    var billing = checkout.billingAddress || {};
    // The email when there is one, else the account: the same choice the webhook events make.
    var email = customer.email || billing.email || (checkout.cart && checkout.cart.email);
    if (email && EMAIL.test(email)) return { email: email };
    return customer.id > 0 ? { externalId: String(customer.id) } : null;
  }
  function startedCheckout(checkout, shopper) {
    var cart = checkout.cart || {};
    var lines = cart.lineItems || {};
    var items = [].concat(lines.physicalItems || [], lines.digitalItems || []).map(function (l) {
      var item = { ProductID: String(l.productId), Quantity: l.quantity, ItemPrice: l.salePrice, ProductName: l.name };
      if (l.variantId) item.VariantID = String(l.variantId);
      if (l.sku) item.SKU = l.sku;
      if (l.url) item.ProductURL = l.url;
      if (l.imageUrl) item.ImageURL = l.imageUrl;
      return item;
    });
    if (!items.length) return true;
    var props = {
      Items: items,
      ItemNames: items.map(function (i) { return i.ProductName; }),
      CheckoutURL: location.origin + location.pathname,
      Currency: cart.currency && cart.currency.code,
    };
    return send('Started Checkout', props, {
      value: checkout.grandTotal,
      // The same checkout and cart seen again (a reload) is one event, not two.
      uniqueId: 'bigcommerce:checkout:' + checkout.id + ':' + (cart.updatedTime || ''),
    }, shopper);
  }
  function checkoutPage(id) {
    var checkout = null;
    var typed = null;
    var sent = false;
    function attempt() {
      if (sent || !checkout) return;
      var shopper = shopperOf(checkout) || typed;
      if (!shopper) return;
      sent = true;
      remember(shopper);
      startedCheckout(checkout, shopper);
    }
    // A guest types the email on the checkout's first step, possibly before the SDK has loaded:
    // that is when they become known.
    document.addEventListener('change', function (e) {
      var t = e.target;
      var value = t && t.type === 'email' ? String(t.value).trim() : '';
      if (!EMAIL.test(value)) return;
      typed = { email: value };
      attempt();
    }, true);
    loadSdk()
      .then(function (sdk) {
        return sdk.createCheckoutService().loadCheckout(id);
      })
      .then(function (state) {
        checkout = state.data.getCheckout() || null;
        attempt();
      })
      .catch(function () {
        /* no checkout to read (empty cart, expired session): nothing to record */
      });
  }

  var id = checkoutId();
  if (id) checkoutPage(id);
  else viewedProduct();
})();
