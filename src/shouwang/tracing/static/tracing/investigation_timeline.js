// An investigation's page: the exposure window as a shaded band, the onset (or diagnosis) day as
// a line, and each exposure as a bar from its first to its last day (a gantt-like chart). Data
// and labels come from the page: a JSON island and data-* labels (no inline script: CSP).
(function () {
  "use strict";

  var DAY = 86400000;

  function draw() {
    var el = document.getElementById("investigation-timeline");
    var island = document.getElementById("investigation-timeline-data");
    if (!el || !island) { return; }
    var d = JSON.parse(island.textContent);
    var L = el.dataset;
    var note = el.querySelector(".loading");
    if (!window.Plotly) { if (note) { note.textContent = ""; } return; }
    var colours = { household: "#0e4d64", workplace: "#1f7a8c", school: "#6b21a8",
                    transport: "#b45309", gathering: "#b42318", healthcare: "#15803d",
                    care_home: "#7c3aed", entertainment: "#be185d", other: "#55606b" };
    var rows = d.exposures.map(function (e, i) { return (i + 1) + ". " + e.kind_label + " · " + e.label; });
    var traces = [{
      type: "bar", orientation: "h", y: rows, base: d.exposures.map(function (e) { return e.start; }),
      x: d.exposures.map(function (e) { return (Date.parse(e.end) - Date.parse(e.start)) + DAY; }),
      marker: { color: d.exposures.map(function (e) { return colours[e.kind] || "#55606b"; }) },
      text: d.exposures.map(function (e) { return e.start === e.end ? e.start : e.start + " — " + e.end; }),
      hovertemplate: "%{y}<br>%{text}<extra></extra>", textposition: "none", showlegend: false
    }];
    var end = new Date(Date.parse(d.window[1]) + DAY).toISOString().slice(0, 10);
    var shapes = [
      { type: "rect", xref: "x", yref: "paper", x0: d.window[0], x1: end, y0: 0, y1: 1,
        fillcolor: "rgba(31,122,140,0.10)", line: { width: 0 }, layer: "below" },
      { type: "line", xref: "x", yref: "paper", x0: end, x1: end, y0: 0, y1: 1,
        line: { color: "#b42318", width: 1.5, dash: "dot" } }
    ];
    var annotations = [
      { x: d.window[0], y: 1, xref: "x", yref: "paper", text: L.labelWindow, showarrow: false,
        xanchor: "left", yanchor: "bottom", font: { color: "#1f7a8c", size: 11 } },
      { x: end, y: 1, xref: "x", yref: "paper", text: L.labelAnchor + " " + d.anchor,
        showarrow: false, xanchor: "right", yanchor: "bottom", font: { color: "#b42318", size: 11 } }
    ];
    var lo = new Date(Date.parse(d.window[0]) - DAY).toISOString().slice(0, 10);
    var hi = new Date(Date.parse(d.window[1]) + 2 * DAY).toISOString().slice(0, 10);
    var height = Math.max(180, 70 + 34 * Math.max(rows.length, 1));
    Plotly.newPlot(el, rows.length ? traces : [], {
      margin: { l: 10, r: 10, t: 26, b: 30 }, height: height, shapes: shapes,
      annotations: annotations, bargap: 0.35,
      // Month-day ticks: no month names, which Plotly would write in English on a Chinese page.
      xaxis: { type: "date", range: [lo, hi], tickformat: "%m-%d", hoverformat: "%Y-%m-%d" },
      yaxis: { automargin: true, autorange: "reversed", visible: rows.length > 0 },
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
