// The cluster map: the divisions of each space-time cluster coloured by its rank, the centre
// marked, the scan radius drawn as a circle; the rest of the area in grey underneath.
(function () {
  "use strict";
  var W = window.ShouwangWarning;
  var PALETTE = ["#d7301f", "#fc8d59", "#8856a7", "#2b8cbe", "#31a354", "#e7298a", "#a6761d",
                 "#666666"];
  var EARTH_KM = 6371.0088;

  function circle(lon, lat, km) {
    // Points at distance km from the centre on the sphere, every 5 degrees of bearing.
    var d = km / EARTH_KM, p1 = lat * Math.PI / 180, l1 = lon * Math.PI / 180;
    var xs = [], ys = [];
    for (var b = 0; b <= 360; b += 5) {
      var th = b * Math.PI / 180;
      var p2 = Math.asin(Math.sin(p1) * Math.cos(d) + Math.cos(p1) * Math.sin(d) * Math.cos(th));
      var l2 = l1 + Math.atan2(Math.sin(th) * Math.sin(d) * Math.cos(p1),
                               Math.cos(d) - Math.sin(p1) * Math.sin(p2));
      xs.push(l2 * 180 / Math.PI); ys.push(p2 * 180 / Math.PI);
    }
    return { lon: xs, lat: ys };
  }

  function draw(el, d, counties, provinces) {
    var L = d.labels;
    var rankOf = {}, clusterOf = {};
    d.clusters.forEach(function (c, i) {
      c.members.forEach(function (code) {
        if (!(code in rankOf)) { rankOf[code] = i; clusterOf[code] = c; }
      });
    });
    var base = provinces ? provinces.features : counties.features.filter(function (f) {
      return String(f.id).indexOf(d.prefix) === 0;
    });
    var members = counties.features.filter(function (f) {
      return String(f.id) in rankOf;
    });
    if (!base.length && !members.length) { W.done(el, el.dataset.empty || ""); return; }
    // The colour follows the rank, as in the table (rank 1, the most likely cluster, is red).
    var colours = d.clusters.map(function (c) {
      return PALETTE[Math.min(c.rank - 1, PALETTE.length - 1)];
    });
    var traces = [
      { type: "choropleth", geojson: { type: "FeatureCollection", features: base },
        featureidkey: "id", locations: base.map(function (f) { return f.id; }),
        z: base.map(function () { return 0; }), colorscale: [[0, "#eef0f2"], [1, "#eef0f2"]],
        showscale: false, text: base.map(function (f) { return f.properties.name; }),
        hoverinfo: "text", marker: { line: { width: 0.5, color: "#9aa3ab" } } },
      { type: "choropleth", geojson: { type: "FeatureCollection", features: members },
        featureidkey: "id", locations: members.map(function (f) { return f.id; }),
        z: members.map(function (f) { return rankOf[f.id]; }), zmin: 0,
        zmax: Math.max(colours.length - 1, 0), colorscale: W.discreteScale(colours),
        showscale: false, hoverinfo: "text",
        text: members.map(function (f) {
          var c = clusterOf[f.id];
          return f.properties.name + "<br>" + L.cluster + " #" + c.rank + " · p = " +
                 (c.pValue < 0.001 ? "< 0.001" : c.pValue.toFixed(3));
        }),
        marker: { line: { width: 1, color: "#fff" } } }
    ];
    var lons = [], lats = [];
    d.clusters.forEach(function (c, i) {
      if (c.centre.lon === null || c.centre.lat === null) { return; }
      if (c.radiusKm > 0) {
        var ring = circle(c.centre.lon, c.centre.lat, c.radiusKm);
        lons = lons.concat(ring.lon); lats = lats.concat(ring.lat);
        traces.push({ type: "scattergeo", mode: "lines", lon: ring.lon, lat: ring.lat,
                      line: { color: "#111", width: 2, dash: "dash" }, hoverinfo: "skip",
                      showlegend: false });
      }
      lons.push(c.centre.lon); lats.push(c.centre.lat);
      traces.push({ type: "scattergeo", mode: "markers+text", lon: [c.centre.lon],
                    lat: [c.centre.lat], text: ["#" + c.rank + " " + c.centre.name],
                    textposition: "top center", textfont: { size: 13, color: "#111" },
                    marker: { size: 12, color: "#fff", line: { width: 3, color: colours[i] } },
                    hovertext: [L.centre + " " + c.centre.name + "<br>" + L.radius + " " +
                                c.radiusKm.toFixed(1) + " " + L.km + "<br>" + L.observed + " " +
                                c.observed + " / " + L.expected + " " + c.expected.toFixed(1)],
                    hoverinfo: "text", showlegend: false });
    });
    var geo = { scope: "world", resolution: 110, visible: false, bgcolor: "#fff",
                projection: { type: "mercator" } };
    if (provinces && lons.length) {
      // The whole country as background, but framed on the clusters.
      members.forEach(function (f) {
        var g = f.geometry, polys = g.type === "Polygon" ? [g.coordinates] : g.coordinates;
        polys.forEach(function (poly) { poly[0].forEach(function (p) { lons.push(p[0]); lats.push(p[1]); }); });
      });
      var pad = 0.6;
      var lon0 = Math.min.apply(null, lons) - pad, lon1 = Math.max.apply(null, lons) + pad;
      var lat0 = Math.min.apply(null, lats) - pad, lat1 = Math.max.apply(null, lats) + pad;
      // Widen the shorter side to the map's shape (a degree of longitude is cos(latitude)
      // of a degree of latitude), so the frame fills the box instead of a narrow strip.
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
      geo.lonaxis = { range: [lon0, lon1] };
      geo.lataxis = { range: [lat0, lat1] };
    } else {
      geo.fitbounds = "locations";
    }
    W.registerEmptyBaseMap();
    Plotly.newPlot(el, traces, {
      margin: { l: 0, r: 0, t: 0, b: 0 }, height: 520, dragmode: false, paper_bgcolor: "#fff",
      geo: geo
    }, { displayModeBar: false, responsive: true });
    W.done(el);
  }

  function start() {
    var el = document.getElementById("cluster-map");
    var d = W.island("cluster-data");
    if (!el || !d) { return; }
    if (!window.Plotly) { W.done(el, ""); return; }
    Promise.all([W.loadJSON(d.counties), d.prefix ? null : W.loadJSON(d.provinces)])
      .then(function (res) { draw(el, d, res[0], res[1]); })
      .catch(function () { W.done(el, el.dataset.empty || ""); });
  }

  W.onReady(start);
})();
