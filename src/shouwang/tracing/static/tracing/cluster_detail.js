// A cluster's page: the epidemic curve of its members' onsets, one stacked bar colour per
// generation. Data from the page's JSON island, labels from data-* attributes.
(function () {
  "use strict";

  var COLOURS = ["#0e4d64", "#1f7a8c", "#b45309", "#b42318", "#6b21a8", "#55606b"];
  var DAY = 86400000;

  function iso(ms) { return new Date(ms).toISOString().slice(0, 10); }

  function draw() {
    var el = document.getElementById("cluster-curve");
    var island = document.getElementById("cluster-curve-data");
    if (!el || !island) { return; }
    var note = el.querySelector(".loading");
    if (!window.Plotly) { if (note) { note.textContent = ""; } return; }
    var d = JSON.parse(island.textContent);
    var L = el.dataset;
    var days = [];
    for (var t = Date.parse(d.first) - 2 * DAY; t <= Date.parse(d.last) + 2 * DAY; t += DAY) {
      days.push(iso(t));
    }
    var byGen = {};
    d.members.forEach(function (m) {
      var g = byGen[m.generation] || (byGen[m.generation] = {});
      g[m.onset] = g[m.onset] || [];
      g[m.onset].push(m.label);
    });
    var traces = Object.keys(byGen).map(Number).sort(function (a, b) { return a - b; }).map(function (g) {
      return {
        type: "bar", name: L.labelGeneration.replace("{n}", g), x: days,
        y: days.map(function (day) { return (byGen[g][day] || []).length; }),
        text: days.map(function (day) { return (byGen[g][day] || []).join("<br>"); }),
        hovertemplate: "%{x}<br>%{text}<extra>" + L.labelGeneration.replace("{n}", g) + "</extra>",
        textposition: "none", marker: { color: COLOURS[Math.min(g, COLOURS.length) - 1] }
      };
    });
    Plotly.newPlot(el, traces, {
      barmode: "stack", bargap: 0.1, showlegend: true, margin: { l: 36, r: 10, t: 26, b: 30 }, height: 300,
      legend: { orientation: "h", x: 0, y: 1.02, yanchor: "bottom" },
      xaxis: { type: "date", tickformat: "%m-%d", hoverformat: "%Y-%m-%d" },
      yaxis: { rangemode: "tozero", dtick: 1, title: { text: L.labelCases } },
      paper_bgcolor: "#fff", plot_bgcolor: "#fff"
    }, { displayModeBar: false, responsive: true });
    el.setAttribute("aria-busy", "false");
    if (note) { note.remove(); }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
