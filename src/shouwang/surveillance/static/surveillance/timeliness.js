// Timeliness: one bar per division, the share of reports that arrived on time (percent).
(function () {
  "use strict";
  function draw() {
    var island = document.getElementById("timeliness-data");
    var target = document.getElementById("timeliness-chart");
    if (!island || !target || typeof Plotly === "undefined") { return; }
    var data = JSON.parse(island.textContent);
    var colours = data.rates.map(function (r) {
      return r >= 95 ? "#2e8b57" : (r >= 80 ? "#e67e22" : "#c0392b");
    });
    Plotly.newPlot(target, [{
      type: "bar", x: data.labels, y: data.rates, marker: { color: colours },
      customdata: data.reports, hovertemplate: "%{x}: %{y}% (n=%{customdata})<extra></extra>"
    }], {
      height: 420, bargap: 0.3, margin: { t: 20, r: 10, b: 90, l: 50 },
      yaxis: { title: { text: data.yTitle }, range: [0, 100] },
      xaxis: { type: "category", automargin: true }
      // No mode bar: its look comes from a <style> Plotly injects, which the CSP blocks.
    }, { responsive: true, displayModeBar: false });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else { draw(); }
})();
