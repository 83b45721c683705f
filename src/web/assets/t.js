/* Storeflow storefront tracker. Embed:
 *   <script async src="https://YOUR-APP/t.js" data-key="pk_…" data-product-id="123" data-variant-id="456" data-price="19.90"></script>
 * Sends Viewed Product on product pages (data-product-id present) once the shopper is known.
 *   storeflow.identify({ email })                          remembers who the shopper is (localStorage)
 *   storeflow.track('Added to Cart', { ProductID, VariantID, Price })
 * Events are sent with sendBeacon as text/plain, so no CORS preflight and no blocking of the page.
 */
(function () {
  var script = document.currentScript;
  if (!script) return;
  var endpoint = new URL('/api/v1/track', script.src).toString();
  var key = script.getAttribute('data-key');
  var STORE = 'storeflow:profile';
  var queue = [];

  function profile() {
    try { return JSON.parse(localStorage.getItem(STORE) || 'null'); } catch (e) { return null; }
  }
  function send(metric, properties) {
    var who = profile();
    if (!who || !key) { queue.push([metric, properties]); return; }
    var body = JSON.stringify({ publicKey: key, metric: metric, profile: who, properties: properties || {} });
    if (!(navigator.sendBeacon && navigator.sendBeacon(endpoint, new Blob([body], { type: 'text/plain' })))) {
      fetch(endpoint, { method: 'POST', body: body, headers: { 'Content-Type': 'text/plain' }, keepalive: true, mode: 'cors' });
    }
  }
  var api = {
    identify: function (who) {
      var p = {};
      if (who && who.email) p.email = String(who.email);
      if (who && who.phone) p.phone = String(who.phone);
      if (who && who.externalId) p.externalId = String(who.externalId);
      if (!p.email && !p.phone && !p.externalId) return;
      try { localStorage.setItem(STORE, JSON.stringify(p)); } catch (e) { /* private mode: keep in memory */ }
      var pending = queue; queue = [];
      for (var i = 0; i < pending.length; i++) send(pending[i][0], pending[i][1]);
    },
    track: send,
  };
  var before = window.storeflow && window.storeflow.q;
  window.storeflow = api;
  if (before) for (var j = 0; j < before.length; j++) api[before[j][0]].apply(null, before[j][1]);

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
