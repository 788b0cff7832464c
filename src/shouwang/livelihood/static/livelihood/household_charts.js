// The household registry charts: households by monitoring status (the village list) and income
// by component over the years as stacked bars (one household). Data from json_script blocks.
(function () {
  "use strict";
  function data(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }
  function draw() {
    if (typeof Plotly === "undefined") { return; }
    var cfg = { displayModeBar: false, responsive: true };
    var status = data("lh-status-data");
    var statusEl = document.getElementById("lh-status-chart");
    if (status && statusEl) {
      Plotly.newPlot(statusEl, [{ type: "bar", x: status.labels, y: status.values,
        marker: { color: ["#8a8f98", "#d08a00", "#2e8b57"] } }],
        { margin: { t: 10, r: 10, b: 40, l: 40 }, yaxis: { rangemode: "tozero" } }, cfg)
        .then(function () { statusEl.dataset.rendered = "1"; });
    }
    var income = data("lh-income-data");
    var incomeEl = document.getElementById("lh-income-chart");
    if (income && incomeEl) {
      if (!income.years.length) { incomeEl.hidden = true; return; }
      var traces = income.series.map(function (s) {
        return { type: "bar", name: s.name, x: income.years, y: s.values };
      });
      Plotly.newPlot(incomeEl, traces, { barmode: "relative", margin: { t: 10, r: 10, b: 40, l: 60 },
        yaxis: { title: { text: incomeEl.dataset.labelYuan || "" } },
        xaxis: { type: "category" }, legend: { orientation: "h" } }, cfg)
        .then(function () { incomeEl.dataset.rendered = "1"; });
    }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else { draw(); }
}());
