// The epidemic curve: reads the JSON data island the page renders (not executed, so the CSP
// allows it) and draws one stacked bar per day, a trace per classification.
(function () {
  "use strict";
  function draw() {
    var island = document.getElementById("epicurve-data");
    var target = document.getElementById("epicurve");
    if (!island || !target || typeof Plotly === "undefined") { return; }
    var data = JSON.parse(island.textContent);
    var colours = { confirmed: "#c0392b", clinical: "#e67e22", suspected: "#f1c40f",
                    asymptomatic: "#7f8c8d" };
    var traces = data.series.map(function (s) {
      return { type: "bar", name: s.name, x: data.days, y: s.counts,
               marker: { color: colours[s.key] || null } };
    });
    Plotly.newPlot(target, traces, {
      barmode: "stack", bargap: 0.05, height: 420, margin: { t: 40, r: 10, b: 60, l: 50 },
      xaxis: { title: { text: data.xTitle }, type: "date" },
      yaxis: { title: { text: data.yTitle }, rangemode: "tozero" },
      legend: { orientation: "h", x: 0, y: 1.02, yanchor: "bottom" }
      // The mode bar's look comes from a <style> Plotly injects, which the CSP blocks: without
      // it the buttons lie over the chart, so the chart goes without them.
    }, { responsive: true, displayModeBar: false });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else { draw(); }
})();
