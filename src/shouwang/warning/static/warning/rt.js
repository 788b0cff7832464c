// The R_t page: the posterior mean with its 95 % credible band and the line R = 1, the daily
// cases of the same division underneath (one figure, shared time axis), and the children of the
// division on a map coloured by their latest R_t (diverging around 1).
(function () {
  "use strict";
  var W = window.ShouwangWarning;

  function finiteMax(values) {
    var m = 0;
    values.forEach(function (v) { if (v !== null && isFinite(v) && v > m) { m = v; } });
    return m;
  }

  function chart() {
    var el = document.getElementById("rt-chart");
    var d = W.island("rt-data");
    if (!el || !d) { return; }
    if (!window.Plotly) { W.done(el, ""); return; }
    var L = d.labels;
    var band = d.t.map(function (_t, i) { return [d.lower[i], d.upper[i]]; });
    var traces = [
      { x: d.t, y: d.upper, type: "scatter", mode: "lines", line: { width: 0 },
        hoverinfo: "skip", showlegend: false },
      { x: d.t, y: d.lower, type: "scatter", mode: "lines", line: { width: 0 }, fill: "tonexty",
        fillcolor: "rgba(178,24,43,0.22)", name: L.band, hoverinfo: "skip" },
      { x: d.t, y: d.mean, type: "scatter", mode: "lines", name: L.mean, customdata: band,
        line: { color: "#b2182b", width: 2.5 },
        hovertemplate: "%{x|%Y-%m-%d}<br>Rt %{y:.2f} (%{customdata[0]:.2f} – " +
                       "%{customdata[1]:.2f})<extra></extra>" },
      { x: d.counts.days, y: d.counts.values, type: "bar", name: L.cases, yaxis: "y2",
        marker: { color: "#8c96a0" }, hovertemplate: "%{x|%Y-%m-%d}: %{y}<extra></extra>" }
    ];
    // No case in the period (counts kept elsewhere, or none reported): R_t alone, full height.
    var anyCases = d.counts.values.some(function (v) { return v > 0; });
    if (!anyCases) { traces.pop(); }
    // Early windows can have very wide intervals: the axis stops at 6 so the recent values
    // stay readable (the table lists every number).
    var top = Math.min(Math.max(finiteMax(d.upper), finiteMax(d.mean), 2) * 1.05, 6);
    Plotly.newPlot(el, traces, {
      height: 560, margin: { t: 40, r: 10, b: 50, l: 55 }, bargap: 0.1,
      legend: { orientation: "h", x: 0, y: 1.02, yanchor: "bottom" },
      // Month-day ticks: no month names, which Plotly would write in English.
      xaxis: { type: "date", anchor: anyCases ? "y2" : "y", tickformat: "%m-%d" },
      yaxis: { domain: anyCases ? [0.36, 1] : [0, 1], title: { text: L.rt }, range: [0, top] },
      yaxis2: { domain: [0, 0.26], title: { text: L.casesAxis }, rangemode: "tozero",
                visible: anyCases },
      shapes: [{ type: "line", xref: "paper", x0: 0, x1: 1, yref: "y", y0: 1, y1: 1,
                 line: { color: "#222", width: 1.5, dash: "dash" } }],
      annotations: [{ xref: "paper", x: 0, yref: "y", y: 1, text: L.one, showarrow: false,
                      xanchor: "left", yanchor: "bottom", font: { size: 11, color: "#222" } }]
    }, { responsive: true, displayModeBar: false });
    W.done(el);
  }

  function rowFor(rows, code) {
    // The child whose prefix the feature's code starts with (the longest, to be safe).
    var best = null;
    rows.forEach(function (r) {
      if (r.prefix && code.indexOf(r.prefix) === 0 && (!best || r.prefix.length > best.prefix.length)) {
        best = r;
      }
    });
    return best;
  }

  function map() {
    var el = document.getElementById("rt-map");
    var d = W.island("rt-map-data");
    if (!el || !d) { return; }
    if (!window.Plotly) { W.done(el, ""); return; }
    W.loadJSON(d.geojson).then(function (collection) {
      var features = collection.features.filter(function (f) {
        return String(f.id).indexOf(d.prefix) === 0;
      });
      if (!features.length) { W.done(el, el.dataset.empty || ""); return; }
      var L = d.labels;
      var grey = { ids: [], text: [] }, coloured = { ids: [], z: [], text: [], urls: [] };
      var urls = {};
      features.forEach(function (f) {
        var code = String(f.id), row = rowFor(d.rows, code);
        var name = f.properties.name + (row && row.code !== code ? " · " + row.name : "");
        if (row) { urls[code] = row.url; }
        if (row && row.bin !== null) {
          coloured.ids.push(code); coloured.z.push(row.bin);
          coloured.text.push(name + "<br>" + L.rt + " " + W.fmt(row.mean, 2) + " (" + L.ci + " " +
                             W.fmt(row.lower, 2) + " – " + W.fmt(row.upper, 2) + ")");
        } else {
          grey.ids.push(code); grey.text.push(name + "<br>" + L.noEstimate);
        }
      });
      var geojson = { type: "FeatureCollection", features: features };
      var line = { width: 0.4, color: "#fff" };
      var traces = [
        { type: "choropleth", geojson: geojson, featureidkey: "id", locations: grey.ids,
          z: grey.ids.map(function () { return 0; }), text: grey.text, hoverinfo: "text",
          colorscale: [[0, d.none], [1, d.none]], showscale: false, marker: { line: line } },
        { type: "choropleth", geojson: geojson, featureidkey: "id", locations: coloured.ids,
          z: coloured.z, text: coloured.text, hoverinfo: "text", zmin: 0,
          zmax: d.colours.length - 1, colorscale: W.discreteScale(d.colours), showscale: false,
          marker: { line: line } }
      ];
      W.registerEmptyBaseMap();
      Plotly.newPlot(el, traces, {
        margin: { l: 0, r: 0, t: 0, b: 0 }, height: 480, dragmode: false, paper_bgcolor: "#fff",
        geo: { scope: "world", resolution: 110, fitbounds: "locations", visible: false,
               bgcolor: "#fff", projection: { type: "mercator" } }
      }, { displayModeBar: false, responsive: true });
      el.on("plotly_click", function (ev) {
        var p = ev.points && ev.points[0];
        if (p && p.location !== undefined && urls[String(p.location)]) {
          window.location.href = urls[String(p.location)];
        }
      });
      W.done(el);
    }).catch(function () { W.done(el, el.dataset.empty || ""); });
  }

  W.onReady(function () { chart(); map(); });
})();
