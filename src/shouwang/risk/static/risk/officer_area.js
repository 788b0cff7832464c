// An area's page: its level over time as a step chart (low / medium / high on the y axis), the
// rule's own level dotted where an override decided, override days marked. Data from the page's
// JSON island, labels from data-* attributes.
(function () {
  "use strict";

  var COLOURS = {low: "#2e9d4f", medium: "#f08c00", high: "#d62728"};
  var RANK = {low: 0, medium: 1, high: 2};

  function draw() {
    var el = document.getElementById("risk-step");
    var island = document.getElementById("risk-area-data");
    if (!el || !island) { return; }
    var note = el.querySelector(".loading");
    if (!window.Plotly) { if (note) { note.textContent = ""; } return; }
    var d = JSON.parse(island.textContent);
    var L = el.dataset;
    var labels = [L.labelLow, L.labelMedium, L.labelHigh];
    var x = d.points.map(function (p) { return p.day; });
    var level = d.points.map(function (p) { return p.level ? RANK[p.level] : null; });
    var traces = [{
      type: "scatter", mode: "lines", name: L.labelLevel, x: x, y: level,
      line: {shape: "hv", width: 3, color: "#1d2630"},
      text: d.points.map(function (p) { return p.level ? labels[RANK[p.level]] : ""; }),
      connectgaps: false,
      hovertemplate: "%{x}<br>%{text}<extra></extra>"
    }];
    ["low", "medium", "high"].forEach(function (name) {
      var xs = [], ys = [];
      d.points.forEach(function (p) { if (p.level === name) { xs.push(p.day); ys.push(RANK[name]); } });
      if (xs.length) {
        traces.push({type: "scatter", mode: "markers", x: xs, y: ys, hoverinfo: "skip",
                     showlegend: false, marker: {size: 7, color: COLOURS[name]}});
      }
    });
    var differs = d.points.some(function (p) { return p.computed !== p.level; });
    if (d.now) {
      traces.push({type: "scatter", mode: "markers", name: L.labelNow, x: [d.now.day],
                   y: [RANK[d.now.level]], hovertemplate: "%{x}<br>" + L.labelNow + "<extra></extra>",
                   marker: {symbol: "star", size: 16, color: COLOURS[d.now.level],
                            line: {width: 1.5, color: "#1d2630"}}});
    }
    if (differs) {
      traces.push({type: "scatter", mode: "lines", name: L.labelComputed, x: x,
                   y: d.points.map(function (p) { return p.computed ? RANK[p.computed] : null; }),
                   line: {shape: "hv", width: 2, dash: "dot", color: "#55606b"},
                   hoverinfo: "skip"});
    }
    var overridden = d.points.filter(function (p) { return p.override; });
    if (overridden.length) {
      traces.push({type: "scatter", mode: "markers", name: L.labelOverride,
                   x: overridden.map(function (p) { return p.day; }),
                   y: overridden.map(function (p) { return RANK[p.level]; }),
                   marker: {symbol: "diamond-open", size: 12, color: "#6b21a8", line: {width: 2}},
                   hoverinfo: "skip"});
    }
    Plotly.newPlot(el, traces, {
      height: 260, margin: {l: 70, r: 10, t: 26, b: 30}, showlegend: true,
      legend: {orientation: "h", x: 0, y: 1.02, yanchor: "bottom"},
      xaxis: {type: "date", tickformat: "%m-%d", hoverformat: "%Y-%m-%d"},
      yaxis: {range: [-0.4, 2.4], tickvals: [0, 1, 2], ticktext: labels, fixedrange: true,
              zeroline: false},
      shapes: [0, 1, 2].map(function (r) {
        return {type: "rect", xref: "paper", x0: 0, x1: 1, y0: r - 0.5, y1: r + 0.5,
                fillcolor: COLOURS[["low", "medium", "high"][r]], opacity: 0.08,
                line: {width: 0}, layer: "below"};
      }),
      paper_bgcolor: "#fff", plot_bgcolor: "#fff"
    }, {displayModeBar: false, responsive: true}).then(function () {
      el.setAttribute("aria-busy", "false");
      el.dataset.rendered = "1";
    });
    if (note) { note.remove(); }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
