// The flow map ("输入与外溢"): arcs between division centroids, from origin to destination, width
// by count, blue for importations and red for confirmed transmission links, dashed when the flow
// leaves the jurisdiction; the provinces (and the jurisdiction's counties) in grey underneath.
// Countries of origin are a bar chart: there is no world map, and nothing is fetched from outside.
// Data come from the #flow-data island (tracing/views/flows.py); helpers from
// warning/results_common.js (window.ShouwangWarning).
(function () {
  "use strict";
  var W = window.ShouwangWarning;
  var COLOURS = { imported: "#2166ac", spread: "#d7301f" };

  // A curved path from a to b: a quadratic Bézier bent to the left of the direction of travel,
  // so that A → B and B → A are two arcs, not one line.
  // Importations and links between the same two places bend differently, so both show.
  function arc(a, b, bend) {
    var mx = (a.lon + b.lon) / 2, my = (a.lat + b.lat) / 2;
    var dx = b.lon - a.lon, dy = b.lat - a.lat;
    var cx = mx - dy * bend, cy = my + dx * bend;
    var lon = [], lat = [];
    for (var i = 0; i <= 24; i++) {
      var t = i / 24, u = 1 - t;
      lon.push(u * u * a.lon + 2 * u * t * cx + t * t * b.lon);
      lat.push(u * u * a.lat + 2 * u * t * cy + t * t * b.lat);
    }
    return { lon: lon, lat: lat, mid: { lon: lon[12], lat: lat[12] } };
  }

  function width(count, max) {
    return 1.5 + 6.5 * Math.sqrt(count / Math.max(max, 1));
  }

  function traces(d, kind, flows, where, max, lons, lats) {
    var L = d.labels, out = [];
    flows.forEach(function (f) {
      var a = where[f.origin_code], b = where[f.destination_code];
      if (!a || !b || a.lon === null || b.lon === null) { return; }
      var p = arc(a, b, kind === "imported" ? 0.14 : 0.3);
      var unit = kind === "imported" ? L.cases : L.links;
      var text = (kind === "imported" ? L.imported : L.spread) + "<br>" + a.name + " → " +
                 b.name + "<br>" + L[f.direction] + " · " + f.count + " " + unit;
      var sizes = p.lon.map(function (_v, i) { return i === p.lon.length - 1 ? 9 + width(f.count, max) : 0; });
      out.push({ type: "scattergeo", mode: "lines+markers", lon: p.lon, lat: p.lat,
                 line: { color: COLOURS[kind], width: width(f.count, max),
                         dash: f.direction === "outbound" ? "dash" : "solid" },
                 marker: { symbol: "arrow", size: sizes, color: COLOURS[kind],
                           angleref: "previous" },
                 opacity: 0.8, hoverinfo: "skip", showlegend: false });
      // The hover target: the arc's middle point.
      out.push({ type: "scattergeo", mode: "markers", lon: [p.mid.lon], lat: [p.mid.lat],
                 marker: { size: 10, color: COLOURS[kind], opacity: 0.01 },
                 hovertext: [text], hoverinfo: "text", showlegend: false });
      lons.push(a.lon, b.lon); lats.push(a.lat, b.lat);
    });
    return out;
  }

  function frame(el, lons, lats, pad) {
    var lon0 = Math.min.apply(null, lons) - pad, lon1 = Math.max.apply(null, lons) + pad;
    var lat0 = Math.min.apply(null, lats) - pad, lat1 = Math.max.apply(null, lats) + pad;
    var shape = (el.clientWidth || 900) / 520;
    var squeeze = Math.cos((lat0 + lat1) / 2 * Math.PI / 180);
    var wantLon = (lat1 - lat0) * shape / squeeze;
    if (lon1 - lon0 < wantLon) {
      var extraLon = (wantLon - (lon1 - lon0)) / 2;
      lon0 -= extraLon; lon1 += extraLon;
    } else {
      var extraLat = ((lon1 - lon0) * squeeze / shape - (lat1 - lat0)) / 2;
      lat0 -= extraLat; lat1 += extraLat;
    }
    return { lonaxis: { range: [lon0, lon1] }, lataxis: { range: [lat0, lat1] } };
  }

  function base(features, fill, line, width) {
    return { type: "choropleth", geojson: { type: "FeatureCollection", features: features },
             featureidkey: "id", locations: features.map(function (f) { return f.id; }),
             z: features.map(function () { return 0; }), colorscale: [[0, fill], [1, fill]],
             showscale: false, text: features.map(function (f) { return f.properties.name; }),
             hoverinfo: "text", marker: { line: { width: width, color: line } } };
  }

  function drawMap(el, d, counties, provinces) {
    var where = {};
    d.places.forEach(function (p) {
      where[p.code] = { lon: p.longitude, lat: p.latitude, name: p.name };
    });
    var max = 1;
    d.imported.concat(d.spread).forEach(function (f) { max = Math.max(max, f.count); });
    var lons = [], lats = [];
    var ownLons = [], ownLats = [];
    var data = [base(provinces.features, "#eef0f2", "#9aa3ab", 0.6)];
    if (d.prefix && counties) {
      var mine = counties.features.filter(function (f) {
        return String(f.id).indexOf(d.prefix) === 0;
      });
      var own = mine.filter(function (f) { return String(f.id).indexOf(d.jurisdiction) === 0; });
      var others = mine.filter(function (f) { return String(f.id).indexOf(d.jurisdiction) !== 0; });
      if (others.length) { data.push(base(others, "#e3e8ed", "#ffffff", 0.8)); }
      if (own.length) { data.push(base(own, "#c6d7e6", "#ffffff", 0.8)); }
      // The jurisdiction's own extent: what "本辖区" zooms to.
      own.forEach(function (f) {
        var g = f.geometry, polys = g.type === "Polygon" ? [g.coordinates] : g.coordinates;
        polys.forEach(function (poly) {
          poly[0].forEach(function (p) { ownLons.push(p[0]); ownLats.push(p[1]); });
        });
      });
    }
    var arcs = traces(d, "imported", d.imported, where, max, lons, lats)
      .concat(traces(d, "spread", d.spread, where, max, lons, lats));
    if (!arcs.length) { W.done(el, el.dataset.empty || ""); return; }
    data = data.concat(arcs);
    // The ends of the arcs, named.
    var ends = {};
    d.imported.concat(d.spread).forEach(function (f) {
      [f.origin_code, f.destination_code].forEach(function (c) {
        if (where[c] && where[c].lon !== null) { ends[c] = where[c]; }
      });
    });
    var codes = Object.keys(ends);
    data.push({ type: "scattergeo", mode: "markers+text",
                lon: codes.map(function (c) { return ends[c].lon; }),
                lat: codes.map(function (c) { return ends[c].lat; }),
                text: codes.map(function (c) { return ends[c].name; }),
                textposition: "top center", textfont: { size: 11, color: "#222" },
                marker: { size: 6, color: "#fff", line: { width: 1.5, color: "#333" } },
                hoverinfo: "text", showlegend: false });
    var geo = { scope: "world", resolution: 110, visible: false, bgcolor: "#fff",
                projection: { type: "mercator" } };
    var box = frame(el, lons, lats, 0.8);
    geo.lonaxis = box.lonaxis; geo.lataxis = box.lataxis;
    var layout = {
      margin: { l: 0, r: 0, t: 0, b: 0 }, height: 520, dragmode: false, paper_bgcolor: "#fff",
      geo: geo
    };
    if (ownLons.length) {
      // Long-distance flows make the jurisdiction small: two buttons frame all flows or it.
      var near = frame(el, ownLons, ownLats, 0.15);
      layout.updatemenus = [{
        type: "buttons", direction: "right", x: 0.01, y: 0.99, xanchor: "left", yanchor: "top",
        showactive: true, active: 0, bgcolor: "#fff", bordercolor: "#9aa3ab",
        buttons: [
          { label: d.labels.all, method: "relayout",
            args: [{ "geo.lonaxis.range": box.lonaxis.range,
                     "geo.lataxis.range": box.lataxis.range }] },
          { label: d.labels.zoom, method: "relayout",
            args: [{ "geo.lonaxis.range": near.lonaxis.range,
                     "geo.lataxis.range": near.lataxis.range }] }
        ]
      }];
    }
    W.registerEmptyBaseMap();
    Plotly.newPlot(el, data, layout, { displayModeBar: false, responsive: true });
    W.done(el);
  }

  function drawCountries(el, d) {
    var rows = d.countries.slice(0, 20).reverse();
    var most = Math.max.apply(null, rows.map(function (c) { return c.count; }));
    Plotly.newPlot(el, [{
      type: "bar", orientation: "h", x: rows.map(function (c) { return c.count; }),
      y: rows.map(function (c) { return c.country_name + " " + c.country; }),
      marker: { color: COLOURS.imported }, hovertemplate: "%{y}: %{x} " + d.labels.cases +
      "<extra></extra>"
    }], {
      margin: { l: 140, r: 20, t: 10, b: 30 }, height: Math.max(120, 50 + 28 * rows.length),
      // Whole cases only: a tick every case while they are few.
      xaxis: { rangemode: "tozero", tickformat: "d", dtick: most <= 10 ? 1 : null },
      bargap: 0.35, paper_bgcolor: "#fff"
    }, { displayModeBar: false, responsive: true });
    W.done(el);
  }

  function start() {
    var d = W.island("flow-data");
    if (!d) { return; }
    var map = document.getElementById("flow-map");
    var bars = document.getElementById("flow-countries");
    if (!window.Plotly) {
      if (map) { W.done(map, ""); }
      if (bars) { W.done(bars, ""); }
      return;
    }
    if (bars) { drawCountries(bars, d); }
    if (!map) { return; }
    Promise.all([W.loadJSON(d.provinces), d.prefix ? W.loadJSON(d.counties) : null])
      .then(function (res) { drawMap(map, d, res[1], res[0]); })
      .catch(function () { W.done(map, map.dataset.empty || ""); });
  }

  W.onReady(start);
})();
