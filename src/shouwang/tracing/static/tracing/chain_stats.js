// The chain statistics page: chain sizes, the offspring distribution with the fitted negative
// binomial overlaid, and the weekly share of new cases already under follow-up when found.
(function () {
  "use strict";
  var island = document.getElementById("chain-stats-data");
  if (!island || !window.Plotly) { return; }
  var d = JSON.parse(island.textContent);
  var L = d.labels;
  var config = { responsive: true, displayModeBar: false };
  var base = { margin: { l: 56, r: 16, t: 8, b: 48 }, height: 320, bargap: 0.15,
               plot_bgcolor: "#ffffff", paper_bgcolor: "#ffffff",
               legend: { orientation: "h", x: 0, y: 1.0, yanchor: "bottom" } };

  function draw(id, traces, layout) {
    var el = document.getElementById(id);
    if (!el) { return; }
    Plotly.newPlot(el, traces, Object.assign({}, base, layout), config).then(function () {
      el.setAttribute("aria-busy", "false");
      var note = el.querySelector(".loading");
      if (note) { note.remove(); }
      el.dataset.rendered = "1";
    });
  }

  function keys(obj) {
    return Object.keys(obj).map(Number).sort(function (a, b) { return a - b; });
  }

  var sizes = keys(d.sizes);
  draw("chain-size-plot", [{
    type: "bar", name: L.chains, x: sizes, y: sizes.map(function (s) { return d.sizes[s]; }),
    width: sizes.map(function () { return 0.8; }),
    marker: { color: "#1f5f8b" }, hovertemplate: L.chainSize + " %{x}: %{y}<extra></extra>"
  }], { xaxis: { title: { text: L.chainSize },
                 range: [0.4, (sizes.length ? sizes[sizes.length - 1] : 1) + 0.6],
                 dtick: sizes.length && sizes[sizes.length - 1] <= 20 ? 1 : undefined },
        yaxis: { title: { text: L.chains }, type: sizes.length && d.sizes[1] > 50 ? "log" : "linear" },
        showlegend: false });

  var xs = keys(d.offspring);
  var upto = Math.max(xs.length ? xs[xs.length - 1] : 0, d.expected.length - 1);
  var all = [];
  for (var x = 0; x <= upto; x += 1) { all.push(x); }
  draw("offspring-plot", [
    { type: "bar", name: L.observed, x: all, y: all.map(function (v) { return d.offspring[v] || 0; }),
      width: all.map(function () { return 0.8; }), marker: { color: "#9aa5b1" } },
    { type: "scatter", mode: "lines+markers", name: L.expected, x: all.slice(0, d.expected.length),
      y: d.expected, line: { color: "#d7301f", width: 2 }, marker: { size: 5 } }
  ], { xaxis: { title: { text: L.offspring }, dtick: upto < 15 ? 1 : undefined },
       yaxis: { title: { text: L.count } } });

  draw("follow-up-plot", [
    { type: "bar", name: L.investigations, x: d.weekly.map(function (w) { return w.week; }),
      y: d.weekly.map(function (w) { return w.n; }), marker: { color: "#c5ced6" } },
    { type: "scatter", mode: "lines+markers", name: L.share,
      x: d.weekly.map(function (w) { return w.week; }),
      y: d.weekly.map(function (w) { return w.n ? w.under / w.n : null; }),
      line: { color: "#1f5f8b", width: 3 }, yaxis: "y2", hovertemplate: "%{y:.0%}<extra></extra>" }
  ], { margin: { l: 56, r: 64, t: 8, b: 48 }, xaxis: { title: { text: L.week }, type: "category" },
       yaxis: { title: { text: L.investigations }, rangemode: "tozero" },
       yaxis2: { overlaying: "y", side: "right", showgrid: false, tickformat: ".0%",
                 range: [0, 1.05], title: { text: L.share } } });
}());
