// An alert's page: the series of its method around the signal day (observed counts as bars,
// expected / median / Rt as a line, the 95 % band or the threshold, alarms marked, the signal
// day as a vertical line). Data and labels come from the page: a JSON island and data-* labels.
(function () {
  "use strict";

  function draw() {
    var el = document.getElementById("alert-chart");
    var island = document.getElementById("alert-chart-data");
    if (!el || !island) { return; }
    var d = JSON.parse(island.textContent);
    var L = el.dataset;
    var note = el.querySelector(".loading");
    if (!window.Plotly) { if (note) { note.textContent = ""; } return; }
    var traces = [];
    if (d.lower && d.upper) {
      traces.push({ x: d.t, y: d.upper, type: "scatter", mode: "lines", line: { width: 0 },
                    hoverinfo: "skip", showlegend: false });
      traces.push({ x: d.t, y: d.lower, type: "scatter", mode: "lines", line: { width: 0 },
                    fill: "tonexty", fillcolor: "rgba(31,122,140,0.18)", name: L.labelBand });
    }
    if (d.bars) {
      traces.push({ x: d.t, y: d.bars, type: "bar", name: L.labelObserved,
                    marker: { color: "#9bb7c4" } });
    }
    if (d.line) {
      traces.push({ x: d.t, y: d.line, type: "scatter", mode: "lines", name:
                    d.bars && !d.lower ? L.labelExpected : L.labelLine,
                    line: { color: "#0e4d64", width: 2 } });
    }
    if (d.threshold) {
      traces.push({ x: d.t, y: d.threshold, type: "scatter", mode: "lines", name: L.labelThreshold,
                    line: { color: "#b42318", width: 1.5, dash: "dash" } });
    }
    if (d.alarm && d.bars) {
      var ax = [], ay = [];
      d.alarm.forEach(function (a, i) { if (a) { ax.push(d.t[i]); ay.push(d.bars[i]); } });
      if (ax.length) {
        traces.push({ x: ax, y: ay, type: "scatter", mode: "markers", name: L.labelAlarm,
                      marker: { color: "#b42318", size: 9, symbol: "triangle-up" } });
      }
    }
    var shapes = [{ type: "line", xref: "x", yref: "paper", x0: d.day, x1: d.day, y0: 0, y1: 1,
                    line: { color: "#b42318", width: 1, dash: "dot" } }];
    if (d.reference) {
      shapes.push({ type: "line", xref: "paper", x0: 0, x1: 1, y0: d.reference, y1: d.reference,
                    line: { color: "#5b6773", width: 1, dash: "dot" } });
    }
    Plotly.newPlot(el, traces, {
      margin: { l: 40, r: 10, t: 24, b: 30 }, height: 340, bargap: 0.15, shapes: shapes,
      annotations: [{ x: d.day, y: 1, xref: "x", yref: "paper", text: L.labelDay,
                      showarrow: false, yanchor: "top", xanchor: "right", font: { color: "#b42318", size: 11 } }],
      legend: { orientation: "h", x: 0, y: 1.02, yanchor: "bottom" },
      // Month-day ticks: no month names, which Plotly would write in English on a Chinese page.
      xaxis: { type: "date", tickformat: "%m-%d", hoverformat: "%Y-%m-%d" },
      yaxis: { rangemode: "tozero" }, paper_bgcolor: "#fff", plot_bgcolor: "#fff"
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
