/* The Shouwang web shell: CSRF for htmx and a progress bar while work is in flight.
 *
 * A static file because the CSP (script-src 'self') forbids inline scripts.
 */
(function () {
  "use strict";

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  // Every htmx request carries the CSRF token, so hx-post/hx-delete pass Django's CSRF check
  // without each template adding hx-headers.
  document.addEventListener("htmx:configRequest", function (event) {
    var token = csrfToken();
    if (token) {
      event.detail.headers["X-CSRFToken"] = token;
    }
  });

  // The bar shows while at least one request is in flight. Requests are tracked by their
  // XMLHttpRequest: htmx may fire afterRequest twice for one request (once more on a parent when
  // the swap removed the element), so a plain counter would drift.
  var inFlight = new Set();
  var showTimer = null;

  function setBusy(busy) {
    var el = document.querySelector(".progress");
    if (!el) {
      return;
    }
    el.classList.toggle("active", busy);
    document.documentElement.setAttribute("aria-busy", busy ? "true" : "false");
  }

  function start(event) {
    inFlight.add(event.detail.xhr);
    if (showTimer === null) {
      // Quick answers should not flash the bar.
      showTimer = window.setTimeout(function () {
        showTimer = null;
        if (inFlight.size > 0) {
          setBusy(true);
        }
      }, 150);
    }
  }

  function stop(event) {
    inFlight.delete(event.detail.xhr);
    if (inFlight.size === 0) {
      if (showTimer !== null) {
        window.clearTimeout(showTimer);
        showTimer = null;
      }
      setBusy(false);
    }
  }

  document.addEventListener("htmx:beforeRequest", start);
  document.addEventListener("htmx:afterRequest", stop);

  // Ordinary form posts and link loads take time too (a large export, a slow county list):
  // show the bar until the next page replaces this one.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    // A form that opens elsewhere or downloads a file (data-no-progress) leaves this page in
    // place, so the bar would never go away.
    if (!event.defaultPrevented && !form.hasAttribute("hx-post") && !form.hasAttribute("hx-get") &&
        !form.hasAttribute("target") && !form.hasAttribute("data-no-progress")) {
      setBusy(true);
    }
  });
  // Coming back through the browser's page cache must not show a stale bar.
  window.addEventListener("pageshow", function () {
    inFlight.clear();
    setBusy(false);
  });
})();
