// The officers' risk map: the counties of the reader's jurisdiction coloured by the level in
// force (low green, medium orange, high red); a county whose own level is low but that holds a
// medium- or high-risk township or village gets an orange border. Boundaries from the geo app's
// static GeoJSON (as geo/map.js), levels from the page's JSON island, labels from data-*
// attributes (no inline script: the CSP forbids it). A click opens the county's page.
(function () {
  "use strict";

  var COLOURS = {low: "#2e9d4f", medium: "#f08c00", high: "#d62728"};
  var RANK = {low: 0, medium: 1, high: 2};

  // The middle of a shape's bounding box (good enough to place a dot on a county).
  function middle(geometry) {
    var minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
    var polygons = geometry.type === "Polygon" ? [geometry.coordinates] : geometry.coordinates;
    polygons.forEach(function (poly) {
      poly[0].forEach(function (p) {
        minX = Math.min(minX, p[0]); maxX = Math.max(maxX, p[0]);
        minY = Math.min(minY, p[1]); maxY = Math.max(maxY, p[1]);
      });
    });
    return [(minX + maxX) / 2, (minY + maxY) / 2];
  }

  function draw(el, data, collection, lines) {
    var L = el.dataset;
    var prefix = L.prefix || "";
    var features = collection.features.filter(function (f) {
      return String(f.id).indexOf(prefix) === 0;
    });
    var note = el.querySelector(".loading");
    if (note) { note.remove(); }
    if (!features.length) {
      el.textContent = L.empty || "";
      el.classList.add("empty-state");
      el.setAttribute("aria-busy", "false");
      el.dataset.rendered = "1";
      return;
    }
    var labels = {low: L.labelLow, medium: L.labelMedium, high: L.labelHigh};
    var ids = [], z = [], text = [], lineColour = [], lineWidth = [];
    features.forEach(function (f) {
      var code = String(f.id);
      var level = data.levels[code] || "low";
      var inner = data.inner[code];
      var hover = f.properties.name + " " + code + "<br>" + labels[level];
      var innerRisk = inner && (inner.medium || inner.high);
      if (innerRisk) {
        hover += "<br>" + L.labelInner.replace("{m}", inner.medium).replace("{h}", inner.high);
      }
      ids.push(code);
      z.push(RANK[level]);
      text.push(hover);
      var outline = innerRisk && level === "low";
      lineColour.push(outline ? COLOURS[inner.high ? "high" : "medium"] : "#fff");
      lineWidth.push(outline ? 2.5 : 0.5);
    });
    var trace = {
      type: "choropleth", geojson: {type: "FeatureCollection", features: features},
      featureidkey: "id", locations: ids, z: z, zmin: 0, zmax: 2, text: text,
      hoverinfo: "text", showscale: false,
      colorscale: [[0, COLOURS.low], [0.3333, COLOURS.low], [0.3334, COLOURS.medium],
                   [0.6666, COLOURS.medium], [0.6667, COLOURS.high], [1, COLOURS.high]],
      marker: {line: {width: lineWidth, color: lineColour}}
    };
    var traces = [trace];
    if (!prefix && lines) { traces.push(window.ShouwangGeo.linesTrace(lines)); }
    // City districts are a few pixels wide on a province's map: a dot at the middle of every
    // medium or high county keeps it visible (hover and click as on the shape).
    var dots = {lon: [], lat: [], color: [], text: [], ids: []};
    features.forEach(function (f, i) {
      if (z[i] === 0) { return; }
      var c = middle(f.geometry);
      dots.lon.push(c[0]); dots.lat.push(c[1]); dots.ids.push(ids[i]); dots.text.push(text[i]);
      dots.color.push(z[i] === 2 ? COLOURS.high : COLOURS.medium);
    });
    if (dots.ids.length) {
      traces.push({type: "scattergeo", mode: "markers", lon: dots.lon, lat: dots.lat,
                   text: dots.text, customdata: dots.ids, hoverinfo: "text", showlegend: false,
                   marker: {size: 11, color: dots.color, line: {width: 1.5, color: "#fff"}}});
    }
    window.ShouwangGeo.registerEmptyBaseMap();
    window.Plotly.newPlot(el, traces, {
      margin: {l: 0, r: 0, t: 0, b: 0}, height: 480, dragmode: false, paper_bgcolor: "#fff",
      geo: {scope: "world", resolution: 110, fitbounds: "locations", visible: false,
            bgcolor: "#fff", projection: {type: "mercator"}}
    }, {displayModeBar: false, responsive: true}).then(function () {
      el.setAttribute("aria-busy", "false");
      el.dataset.rendered = "1";
    });
    el.on("plotly_click", function (ev) {
      if (!ev.points || !ev.points.length) { return; }
      var pt = ev.points[0];
      var code = pt.location !== undefined ? pt.location : pt.customdata;
      if (code === undefined) { return; }
      window.location.href = L.urlTemplate.replace("000000", String(code));
    });
  }

  function start() {
    var el = document.getElementById("risk-map");
    var island = document.getElementById("risk-map-data");
    if (!el || !island || !window.Plotly) { return; }
    var data = JSON.parse(island.textContent);
    Promise.all([
      fetch(el.dataset.geojson).then(function (r) { return r.json(); }),
      el.dataset.lines ? fetch(el.dataset.lines).then(function (r) { return r.json(); }) : null
    ]).then(function (res) { draw(el, data, res[0], res[1]); });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
