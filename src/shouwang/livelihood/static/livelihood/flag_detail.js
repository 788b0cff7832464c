// The flag's page (livelihood/flag_detail.html): the household's income by month against the
// monitoring threshold (drawn like the registry's charts in household_charts.js: data from a
// json_script block, Plotly, `data-rendered` once drawn), and feedback while a form is sent.
(function () {
  "use strict";
  function data(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }
  function drawIncome() {
    var income = data("lh-flag-income-data");
    var el = document.getElementById("lh-flag-income-chart");
    if (!income || !el || typeof Plotly === "undefined") { return; }
    var l = income.labels;
    var traces = [
      { type: "bar", name: l.month, x: income.months, y: income.month_income,
        marker: { color: "#9db7d5" } },
      { type: "scatter", mode: "lines+markers", name: l.window, x: income.months,
        y: income.window_income, line: { color: "#1f5fa8", width: 2 }, connectgaps: false },
      { type: "scatter", mode: "lines", name: l.threshold, x: income.months, y: income.threshold,
        line: { color: "#b91c1c", width: 2, dash: "dash" } }
    ];
    Plotly.newPlot(el, traces, {
      margin: { t: 10, r: 10, b: 50, l: 60 }, legend: { orientation: "h", y: -0.25 },
      xaxis: { type: "category", tickangle: -45, nticks: el.clientWidth < 500 ? 6 : 12 },
      yaxis: { title: { text: l.yuan }, rangemode: "tozero" }
    }, { displayModeBar: false, responsive: true })
      .then(function () { el.dataset.rendered = "1"; });
  }
  function feedback() {
    var page = document.getElementById("lh-flag-page");
    var busy = page ? page.dataset.busy : "";
    document.querySelectorAll("#lh-flag-page form[method=post]").forEach(function (form) {
      form.addEventListener("submit", function () {
        var button = form.querySelector("button[type=submit]");
        if (!button) { return; }
        // Disabled after the submit event has gathered the form data.
        window.setTimeout(function () {
          button.disabled = true;
          if (busy) { button.textContent = busy; }
        }, 0);
        form.setAttribute("aria-busy", "true");
      });
    });
  }
  function showFirstError() {
    // A form sent back with field errors: bring its first message into view.
    var first = document.querySelector("#lh-flag-page .card .error");
    if (!first) { return; }
    var details = first.closest("details");
    if (details) { details.open = true; }
    first.scrollIntoView({ block: "center" });
  }
  function init() { drawIncome(); feedback(); showFirstError(); }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else { init(); }
}());
