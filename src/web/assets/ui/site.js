// Progressive enhancement only: every page works without this file.
// Charts: <canvas data-chart='{"type":..,"labels":[..],"series":[{"label":..,"data":[..]}]}'>.
(function () {
  const palette = ['#1f5fbf', '#1d6b3a', '#8a5a00', '#6a3fb5', '#b3261e', '#0e7490'];
  function drawCharts() {
    if (!window.Chart) return;
    document.querySelectorAll('canvas[data-chart]').forEach(function (canvas) {
      if (canvas.dataset.drawn) return;
      canvas.dataset.drawn = '1';
      const spec = JSON.parse(canvas.dataset.chart);
      new window.Chart(canvas, {
        type: spec.type || 'line',
        data: {
          labels: spec.labels,
          datasets: spec.series.map(function (s, i) {
            return { label: s.label, data: s.data, borderColor: palette[i % palette.length], backgroundColor: palette[i % palette.length], stepped: spec.stepped || false, yAxisID: s.axis || 'y', tension: 0 };
          }),
        },
        options: { responsive: true, maintainAspectRatio: false, animation: false, scales: spec.scales || {} },
      });
    });
  }
  // A confirm step for destructive buttons, without inline script.
  document.addEventListener('submit', function (e) {
    const msg = e.target.getAttribute && e.target.getAttribute('data-confirm');
    if (msg && !window.confirm(msg)) e.preventDefault();
  });
  // Inside the Shopify admin, App Bridge vouches for each htmx request with a fresh session token
  // (htmx uses XMLHttpRequest, which App Bridge's fetch does not cover), so the request works
  // even where the browser keeps no cookie for a framed site.
  const tokens = new WeakMap();
  document.addEventListener('htmx:confirm', function (e) {
    const bridge = window.shopify;
    if (!bridge || typeof bridge.idToken !== 'function') return;
    e.preventDefault();
    bridge.idToken().then(function (token) {
      tokens.set(e.detail.elt, token);
      e.detail.issueRequest(true);
    }, function () {
      e.detail.issueRequest(true);
    });
  });
  document.addEventListener('htmx:configRequest', function (e) {
    const token = tokens.get(e.detail.elt);
    if (!token) return;
    tokens.delete(e.detail.elt);
    e.detail.headers.Authorization = 'Bearer ' + token;
  });
  document.addEventListener('DOMContentLoaded', drawCharts);
  document.addEventListener('htmx:afterSwap', drawCharts);
})();
