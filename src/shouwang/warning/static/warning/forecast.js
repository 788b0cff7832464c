// The nowcast and forecast page: reported cases as bars; left of the "today" line the nowcast
// (median and 95 % interval) of the days still missing reports; right of it the forecast
// (median, 50 % and 95 % bands) of the next days.
(function () {
  "use strict";
  var W = window.ShouwangWarning;

  function noon(day) { return day + " 12:00"; }

  function draw() {
    var el = document.getElementById("forecast-chart");
    var d = W.island("forecast-data");
    if (!el || !d) { return; }
    if (!window.Plotly) { W.done(el, ""); return; }
    var L = d.labels;
    var traces = [
      { x: d.counts.days, y: d.counts.values, type: "bar", name: L.cases,
        marker: { color: "#8c96a0" }, hovertemplate: "%{x|%Y-%m-%d}: %{y}<extra></extra>" }
    ];
    function band(x, lower, upper, colour, name) {
      traces.push({ x: x, y: upper, type: "scatter", mode: "lines", line: { width: 0 },
                    hoverinfo: "skip", showlegend: false });
      traces.push({ x: x, y: lower, type: "scatter", mode: "lines", line: { width: 0 },
                    fill: "tonexty", fillcolor: colour, name: name, hoverinfo: "skip" });
    }
    var ends = [d.today];
    if (d.nowcast && d.nowcast.t.length) {
      band(d.nowcast.t, d.nowcast.lower, d.nowcast.upper, "rgba(230,126,34,0.25)", L.nowcastBand);
      traces.push({ x: d.nowcast.t, y: d.nowcast.median, type: "scatter", mode: "lines+markers",
                    name: L.nowcast, line: { color: "#d35400", width: 2, dash: "dot" },
                    marker: { size: 5 }, hovertemplate: "%{x|%Y-%m-%d}: %{y}<extra></extra>" });
    }
    if (d.forecast && d.forecast.t.length) {
      band(d.forecast.t, d.forecast.lower, d.forecast.upper, "rgba(41,128,185,0.18)", L.band95);
      band(d.forecast.t, d.forecast.lower_50, d.forecast.upper_50, "rgba(41,128,185,0.38)",
           L.band50);
      traces.push({ x: d.forecast.t, y: d.forecast.median, type: "scatter", mode: "lines",
                    name: L.forecast, line: { color: "#1f5f8b", width: 2.5 },
                    hovertemplate: "%{x|%Y-%m-%d}: %{y}<extra></extra>" });
      ends.push(d.forecast.t[d.forecast.t.length - 1]);
    }
    var last = ends.sort()[ends.length - 1];
    Plotly.newPlot(el, traces, {
      height: 480, margin: { t: 50, r: 10, b: 50, l: 55 }, bargap: 0.1,
      legend: { orientation: "h", x: 0, y: 1.04, yanchor: "bottom" },
      xaxis: { type: "date", tickformat: "%m-%d" },
      yaxis: { title: { text: L.yAxis }, rangemode: "tozero" },
      shapes: [
        // The days ahead are shaded; the line between today's bar and tomorrow's is "today".
        { type: "rect", xref: "x", yref: "paper", x0: noon(d.today), x1: noon(last), y0: 0, y1: 1,
          fillcolor: "rgba(41,128,185,0.06)", line: { width: 0 }, layer: "below" },
        { type: "line", xref: "x", yref: "paper", x0: noon(d.today), x1: noon(d.today), y0: 0,
          y1: 1, line: { color: "#222", width: 2 } }
      ],
      annotations: [
        { xref: "x", yref: "paper", x: noon(d.today), y: 1, text: L.today, showarrow: false,
          xanchor: "right", yanchor: "top", font: { size: 12, color: "#222" },
          bgcolor: "rgba(255,255,255,0.85)" },
        { xref: "x", yref: "paper", x: noon(d.today), y: 0.92, text: L.ahead + " →",
          showarrow: false, xanchor: "left", yanchor: "top", font: { size: 12, color: "#1f5f8b" } }
      ]
    }, { responsive: true, displayModeBar: false });
    W.done(el);
  }

  W.onReady(draw);
})();
