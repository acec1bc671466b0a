/**
 * The explorer's one script (served at /explorer/app.js): explain without a reload, and the
 * counters table refreshed every few seconds. The page works without it; it writes text
 * with textContent only (never HTML).
 */
export const APP_JS = `'use strict';
(function () {
  var REFRESH_MS = 5000;
  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined) e.textContent = String(text);
    if (cls) e.className = cls;
    return e;
  }
  var form = document.getElementById('explain-form');
  var out = document.getElementById('explain-result');
  if (form && out) {
    form.addEventListener('submit', function (ev) {
      ev.preventDefault();
      var body = new URLSearchParams(new FormData(form));
      fetch('/explorer/explain.json', { method: 'POST', body: body, credentials: 'same-origin', headers: { accept: 'application/json' } })
        .then(function (r) { return r.json(); })
        .then(function (j) {
          out.replaceChildren();
          if (j.error) { out.appendChild(el('p', j.error.message || j.error, 'error')); return; }
          var p = el('p', undefined, j.allowed ? 'allow' : 'deny');
          p.id = 'explain-decision';
          p.appendChild(el('b', j.allowed ? 'ALLOWED' : 'DENIED'));
          var pre = el('pre', j.lines.join('\\n'));
          pre.id = 'explain-lines';
          out.append(p, pre);
        })
        .catch(function (e) { out.replaceChildren(el('p', 'explain failed: ' + e, 'error')); });
    });
  }
  var box = document.getElementById('counters-table');
  function key(r) { return r.decision + '|' + r.reason + '|' + r.operation_type; }
  function render(c) {
    var mins = c.minutes.map(function (m) {
      var by = new Map();
      m.decisions.forEach(function (r) { by.set(key(r), r.count); });
      return by;
    });
    var win = new Map();
    c.window.forEach(function (r) { win.set(key(r), r.count); });
    var table = el('table', undefined, 'counters');
    var head = el('tr');
    ['decision', 'operation', 'reason'].forEach(function (h) { head.appendChild(el('th', h)); });
    c.minutes.forEach(function (m) { head.appendChild(el('th', m.start.slice(11, 16))); });
    head.appendChild(el('th', 'window'));
    head.appendChild(el('th', 'since start'));
    table.appendChild(el('thead')).appendChild(head);
    var body = table.appendChild(el('tbody'));
    var rows = c.sinceStart.slice().sort(function (a, b) {
      return a.decision.localeCompare(b.decision) || a.operation_type.localeCompare(b.operation_type) || a.reason.localeCompare(b.reason);
    });
    rows.forEach(function (r) {
      var k = key(r);
      var tr = el('tr');
      tr.dataset.key = k;
      tr.appendChild(el('td', r.decision, r.decision === 'allow' ? 'allow' : 'deny'));
      tr.appendChild(el('td', r.operation_type));
      tr.appendChild(el('td', r.reason));
      mins.forEach(function (m) { tr.appendChild(el('td', m.get(k) || 0)); });
      tr.appendChild(el('td', win.get(k) || 0, 'window'));
      tr.appendChild(el('td', r.count));
      body.appendChild(tr);
    });
    if (rows.length === 0) {
      var td = el('td', 'no decisions yet');
      td.colSpan = 5 + c.minutes.length;
      body.appendChild(el('tr')).appendChild(td);
    }
    box.replaceChildren(table);
    box.dataset.refreshed = new Date().toISOString();
  }
  function refresh() {
    fetch('/explorer/counters.json', { credentials: 'same-origin', headers: { accept: 'application/json' } })
      .then(function (r) { if (!r.ok) throw new Error(String(r.status)); return r.json(); })
      .then(render)
      .catch(function () {});
  }
  if (box) {
    refresh();
    setInterval(refresh, REFRESH_MS);
  }
})();
`
