// Keyboard shortcuts for the builder graph, on top of forms that work without this file.
// With a step focused: ↑/↓ go to the step above or below, Alt+↑/Alt+↓ move it, A opens
// "Add step here" below it, M opens "Move to…", E edits it, Delete removes it.
(function () {
  function nodes() { return Array.prototype.slice.call(document.querySelectorAll('.fg-node[data-step]')); }
  function press(node, key) {
    const el = node.querySelector('[data-key="' + key + '"]');
    if (!el) return false;
    if (el.tagName === 'SUMMARY') {
      el.parentElement.open = true;
      const field = el.parentElement.querySelector('select');
      if (field) field.focus();
    } else if (el.form) {
      el.form.requestSubmit(el);
    } else {
      el.click();
    }
    return true;
  }
  function addBelow(node) {
    const item = node.closest('.fg-item');
    let gap = item && item.nextElementSibling;
    // Below a split the next place to add is after its lanes; inside, each lane has its own.
    while (gap && !gap.classList.contains('fg-gap')) gap = gap.classList.contains('fg-item') ? null : gap.nextElementSibling;
    const details = gap && gap.querySelector('details.fg-add');
    if (!details) return false;
    details.open = true;
    details.querySelector('select').focus();
    return true;
  }
  document.addEventListener('keydown', function (e) {
    const node = e.target.classList && e.target.classList.contains('fg-node') ? e.target : null;
    if (!node || e.ctrlKey || e.metaKey) return;
    let done = false;
    if (e.altKey && e.key === 'ArrowUp') done = press(node, 'up');
    else if (e.altKey && e.key === 'ArrowDown') done = press(node, 'down');
    else if (e.altKey) return;
    else if (e.key === 'ArrowUp' || e.key === 'ArrowDown') {
      const all = nodes();
      const next = all[all.indexOf(node) + (e.key === 'ArrowUp' ? -1 : 1)];
      if (next) next.focus();
      done = true;
    } else if (e.key === 'Delete') done = press(node, 'remove');
    else if (e.key === 'e' || e.key === 'E') done = press(node, 'edit');
    else if (e.key === 'm' || e.key === 'M') done = press(node, 'move');
    else if (e.key === 'a' || e.key === 'A') done = addBelow(node);
    if (done) e.preventDefault();
  });
  // Escape closes an open add or move panel and returns to its step.
  document.addEventListener('keydown', function (e) {
    if (e.key !== 'Escape') return;
    const details = e.target.closest && e.target.closest('.fg details[open]');
    if (!details) return;
    details.open = false;
    const node = details.closest('.fg-node') || details.querySelector('summary');
    node.focus();
  });
  document.addEventListener('DOMContentLoaded', function () {
    const keys = document.getElementById('fg-keys');
    if (keys) keys.hidden = false;
    // After a move the page comes back at #step-<id>, the moved step's box; browsers focus a
    // focusable fragment target, this makes sure of it so the keyboard carries on.
    const m = /^#step-(.+)$/.exec(location.hash);
    const target = m && document.querySelector('.fg-node[data-step="' + CSS.escape(decodeURIComponent(m[1])) + '"]');
    if (target) target.focus();
  });
})();
