// Sends a chosen CSV file as the request body (text/csv), so the server reads it as it arrives
// instead of holding a multipart upload. Without this file, pasting the rows works the same.
(function () {
  document.addEventListener('submit', function (e) {
    const form = e.target;
    if (!form.hasAttribute || !form.hasAttribute('data-csv-upload')) return;
    const file = form.querySelector('input[type=file]').files[0];
    if (!file) return;
    e.preventDefault();
    const status = form.querySelector('[data-csv-status]');
    status.textContent = 'Importing ' + file.name + '…';
    fetch(form.action, {
      method: 'POST',
      headers: { 'Content-Type': 'text/csv', 'X-CSRF-Token': form.querySelector('input[name=_csrf]').value },
      body: file,
      credentials: 'same-origin',
    }).then(function (res) {
      if (res.redirected) {
        window.location.assign(res.url);
        return;
      }
      return res.text().then(function (html) {
        const doc = new DOMParser().parseFromString(html, 'text/html');
        const error = doc.querySelector('.field-error, main p');
        status.textContent = 'The import was refused: ' + (error ? error.textContent : 'status ' + res.status);
      });
    }, function () {
      status.textContent = 'The import could not be sent; check the connection and try again.';
    });
  });
})();
