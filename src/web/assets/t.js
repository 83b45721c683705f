/* Storeflow storefront tracker. Embed:
 *   <script async src="https://YOUR-APP/t.js" data-key="pk_…" data-product-id="123" data-variant-id="456" data-price="19.90"></script>
 * Sends Viewed Product on product pages (data-product-id present). Every event carries this
 * browser's anonymous id (kept in localStorage), so a shopper's events before they identify are
 * joined to them once an event names them.
 *   storeflow.identify({ email })                          remembers who the shopper is (localStorage)
 *   storeflow.track('Added to Cart', { ProductID, VariantID, Price })
 *   storeflow.notifyWhenBack({ variantId, email, quantity })  asks to hear when a sold-out variant is back;
 *                                                          resolves to the HTTP status (202 received, 429 slow down)
 * A form marked <form data-storeflow-back-in-stock data-variant-id="456"> with an email (or phone)
 * field and an optional quantity field is sent the same way on submit; an element inside it with
 * data-storeflow-status gets "received", "slow down" or "error" as data-state.
 * Events are sent with sendBeacon as text/plain, so no CORS preflight and no blocking of the page.
 */
(function () {
  var script = document.currentScript;
  if (!script) return;
  var endpoint = new URL('/api/v1/track', script.src).toString();
  var waitEndpoint = new URL('/api/v1/back-in-stock/subscribe', script.src).toString();
  var key = script.getAttribute('data-key');
  var STORE = 'storeflow:profile';
  var ANON = 'storeflow:anon';
  var memoryAnon = null;
  var memoryProfile = null;

  function profile() {
    try { return JSON.parse(localStorage.getItem(STORE) || 'null'); } catch (e) { return memoryProfile; }
  }
  function newId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return 'a' + Date.now().toString(36) + Math.random().toString(36).slice(2);
  }
  function anonymousId() {
    try {
      var id = localStorage.getItem(ANON);
      if (!id) { id = newId(); localStorage.setItem(ANON, id); }
      return id;
    } catch (e) {
      // Private mode: one id for this page's life.
      return memoryAnon || (memoryAnon = newId());
    }
  }
  function send(metric, properties) {
    if (!key) return;
    var known = profile() || {};
    var who = { anonymousId: anonymousId() };
    if (known.email) who.email = known.email;
    if (known.phone) who.phone = known.phone;
    if (known.externalId) who.externalId = known.externalId;
    var body = JSON.stringify({ publicKey: key, metric: metric, profile: who, properties: properties || {} });
    if (!(navigator.sendBeacon && navigator.sendBeacon(endpoint, new Blob([body], { type: 'text/plain' })))) {
      fetch(endpoint, { method: 'POST', body: body, headers: { 'Content-Type': 'text/plain' }, keepalive: true, mode: 'cors' });
    }
  }
  function notifyWhenBack(req) {
    if (!key || !req || !req.variantId) return Promise.resolve(0);
    var known = profile() || {};
    var body = { publicKey: key, variantId: String(req.variantId), anonymousId: anonymousId(), source: 'storefront' };
    var email = req.email || (!req.phone && known.email);
    if (email) body.email = String(email);
    if (req.phone) body.phone = String(req.phone);
    if (req.quantity) body.quantity = Number(req.quantity);
    return fetch(waitEndpoint, { method: 'POST', body: JSON.stringify(body), headers: { 'Content-Type': 'text/plain' }, mode: 'cors' })
      .then(function (res) { return res.status; }, function () { return 0; });
  }
  function wireForms() {
    var forms = document.querySelectorAll('form[data-storeflow-back-in-stock]');
    for (var i = 0; i < forms.length; i++) {
      (function (form) {
        form.addEventListener('submit', function (e) {
          e.preventDefault();
          var field = function (n) { var el = form.elements[n]; return el && el.value ? el.value : undefined; };
          var status = form.querySelector('[data-storeflow-status]');
          notifyWhenBack({ variantId: field('variantId') || form.getAttribute('data-variant-id'), email: field('email'), phone: field('phone'), quantity: field('quantity') })
            .then(function (code) {
              if (status) status.setAttribute('data-state', code === 202 ? 'received' : code === 429 ? 'slow down' : 'error');
            });
        });
      })(forms[i]);
    }
  }
  var api = {
    identify: function (who) {
      var p = {};
      if (who && who.email) p.email = String(who.email);
      if (who && who.phone) p.phone = String(who.phone);
      if (who && who.externalId) p.externalId = String(who.externalId);
      if (!p.email && !p.phone && !p.externalId) return;
      memoryProfile = p;
      try { localStorage.setItem(STORE, JSON.stringify(p)); } catch (e) { /* private mode: kept in memory for this page */ }
    },
    track: send,
    notifyWhenBack: notifyWhenBack,
  };
  var before = window.storeflow && window.storeflow.q;
  window.storeflow = api;
  if (before) for (var j = 0; j < before.length; j++) api[before[j][0]].apply(null, before[j][1]);

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', wireForms);
  else wireForms();

  var productId = script.getAttribute('data-product-id');
  if (productId) {
    var props = { ProductID: productId, URL: location.href };
    var variantId = script.getAttribute('data-variant-id');
    var price = script.getAttribute('data-price');
    if (variantId) props.VariantID = variantId;
    if (price) props.Price = Number(price);
    send('Viewed Product', props);
  }
})();
