// Shared by the early-warning result pages (R_t, forecast, clusters): data islands, the page's
// progress bar while boundaries load and charts draw, and an empty base map so that Plotly's
// geo subplot never fetches its world map from the internet. Loaded before plotly.min.js, so the
// progress bar shows while that large script is still arriving.
(function () {
  "use strict";

  var pending = 0;
  var cache = {};

  function setBusy(busy) {
    var bar = document.querySelector(".progress");
    if (bar) { bar.classList.toggle("active", busy); }
    document.documentElement.setAttribute("aria-busy", busy ? "true" : "false");
  }

  function island(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }

  // Something is being drawn: the bar shows until every begin() has its end().
  function begin() { pending += 1; setBusy(true); }
  function end() { pending = Math.max(0, pending - 1); if (!pending) { setBusy(false); } }

  function loadJSON(url) {
    if (!cache[url]) {
      begin();
      cache[url] = fetch(url, { credentials: "same-origin" }).then(function (r) {
        if (!r.ok) { throw new Error(url + ": HTTP " + r.status); }
        return r.json();
      }).finally(end);
    }
    return cache[url];
  }

  // The container is drawn (or failed): drop its loading note and its busy state.
  function done(el, message) {
    el.setAttribute("aria-busy", "false");
    var note = el.querySelector(".loading");
    if (note) { note.remove(); }
    if (message) {
      el.textContent = message;
      el.classList.add("empty-state");
    }
    end();
  }

  function registerEmptyBaseMap() {
    var empty = { type: "GeometryCollection", geometries: [] };
    var assets = window.PlotlyGeoAssets = window.PlotlyGeoAssets || {};
    assets.topojson = assets.topojson || {};
    assets.topojson.world_110m = {
      type: "Topology", arcs: [],
      objects: { land: empty, ocean: empty, lakes: empty, rivers: empty, coastlines: empty,
                 countries: empty, subunits: empty }
    };
  }

  // A Plotly colour scale giving z = 0 … n−1 exactly colours[z].
  function discreteScale(colours) {
    var n = colours.length;
    if (n === 1) { return [[0, colours[0]], [1, colours[0]]]; }
    var scale = [];
    colours.forEach(function (c, i) {
      scale.push([Math.max(0, (i - 0.5) / (n - 1)), c]);
      scale.push([Math.min(1, (i + 0.5) / (n - 1)), c]);
    });
    return scale;
  }

  function fmt(v, digits) { return v === null || v === undefined ? "—" : v.toFixed(digits); }

  // Every container waiting to be drawn counts from the start: the bar shows at once.
  document.querySelectorAll("[aria-busy=true]").forEach(function () { begin(); });

  function onReady(fn) {
    if (document.readyState === "loading") {
      document.addEventListener("DOMContentLoaded", fn);
    } else { fn(); }
  }

  window.ShouwangWarning = {
    island: island, loadJSON: loadJSON, done: done, registerEmptyBaseMap: registerEmptyBaseMap,
    discreteScale: discreteScale, fmt: fmt, onReady: onReady
  };
})();
