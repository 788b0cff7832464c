// Contact pages: the follow-up timeline chart (temperature line with the fever line, symptom
// counts as bars, positive tests marked) and the register form's instant field errors (the
// service's own rules, asked of /api/v1/tracing/contacts/validate as the user leaves a field).
(function () {
  "use strict";

  var DEBOUNCE_MS = 250;
  var DAY_MS = 86400000;

  function shift(iso, days) {
    var t = new Date(iso + "T00:00:00Z").getTime() + days * DAY_MS;
    return new Date(t).toISOString().slice(0, 19).replace("T", " ");
  }

  function drawChart() {
    var el = document.getElementById("followup-chart");
    var island = document.getElementById("followup-chart-data");
    if (!el || !island) { return; }
    var d = JSON.parse(island.textContent);
    var L = el.dataset;
    var note = el.querySelector(".loading");
    if (!window.Plotly) { if (note) { note.textContent = ""; } return; }
    // The symptom bars sit on the base axis (right) and the temperature on the overlaying one
    // (left), so that the line and the markers are drawn over the bars.
    var traces = [
      { x: d.t, y: d.symptoms, type: "bar", name: L.labelSymptoms, width: DAY_MS * 0.6,
        marker: { color: "#f2c7a5" }, text: d.symptom_text, textposition: "none",
        hovertemplate: "%{x}: %{text}<extra></extra>" },
      { x: d.t, y: d.temperature, type: "scatter", mode: "lines+markers", name: L.labelTemperature,
        yaxis: "y2", connectgaps: true, line: { color: "#0e4d64", width: 2 }, marker: { size: 8 } }
    ];
    var px = [], py = [];
    d.positive.forEach(function (p, i) {
      if (p) { px.push(d.t[i]); py.push(d.temperature[i] !== null ? d.temperature[i] : d.fever); }
    });
    if (px.length) {
      traces.push({ x: px, y: py, type: "scatter", mode: "markers", name: L.labelPositive,
                    yaxis: "y2", marker: { color: "#b42318", size: 13, symbol: "x" } });
    }
    Plotly.newPlot(el, traces, {
      margin: { l: 44, r: 40, t: 24, b: 30 }, height: 300, bargap: 0.3,
      shapes: [{ type: "line", xref: "paper", yref: "y2", x0: 0, x1: 1, y0: d.fever, y1: d.fever,
                 line: { color: "#b42318", width: 1, dash: "dash" } }],
      annotations: [{ xref: "paper", yref: "y2", x: 1, y: d.fever, text: L.labelFever, showarrow: false,
                      xanchor: "right", yanchor: "bottom", font: { color: "#b42318", size: 11 } }],
      legend: { orientation: "h", x: 0, y: 1.02, yanchor: "bottom" },
      // From the identification day to the latest day shown, one tick a day while that fits.
      xaxis: { type: "date", tickformat: "%m-%d", hoverformat: "%Y-%m-%d",
               range: [shift(d.start, -0.5), shift(d.end, 0.5)],
               dtick: d.days <= 21 ? DAY_MS : undefined },
      yaxis: { side: "right", rangemode: "tozero", dtick: 1, showgrid: false },
      yaxis2: { overlaying: "y", side: "left", range: [35, 41], tickmode: "linear", tick0: 35,
                dtick: 1, title: { text: "°C" } },
      paper_bgcolor: "#fff", plot_bgcolor: "#fff"
    }, { displayModeBar: false, responsive: true });
    el.setAttribute("aria-busy", "false");
    if (note) { note.remove(); }
  }

  function setupForm(form) {
    var url = form.getAttribute("data-validate-url");
    var touched = {};
    var timer = null;
    var sequence = 0;
    var preview = form.querySelector("[data-release-preview]");

    function csrf() {
      var input = form.querySelector("input[name=csrfmiddlewaretoken]");
      return input ? input.value : "";
    }

    function values() {
      var data = { index_case: form.getAttribute("data-index-case") };
      form.querySelectorAll("[data-field]").forEach(function (el) {
        if (el.value !== "") { data[el.name] = el.value; }
      });
      return data;
    }

    function show(answer) {
      var errors = answer.errors || {};
      form.querySelectorAll("[data-error-for]").forEach(function (box) {
        var name = box.getAttribute("data-error-for");
        if (!touched[name]) { return; }
        var messages = errors[name] || [];
        box.textContent = messages.join(" ");
        box.hidden = messages.length === 0;
        var field = form.querySelector('[name="' + name + '"]');
        if (field) {
          if (messages.length) { field.setAttribute("aria-invalid", "true"); }
          else { field.removeAttribute("aria-invalid"); }
        }
      });
      if (preview) {
        var release = answer.derived && answer.derived.release_on;
        preview.textContent = release ? preview.getAttribute("data-label") + release : "";
      }
    }

    function validate() {
      var mine = ++sequence;
      form.setAttribute("data-validating", "true");
      fetch(url, {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrf(),
                   "Accept": "application/json" },
        body: JSON.stringify(values())
      }).then(function (r) { return r.ok ? r.json() : null; }).then(function (answer) {
        if (mine !== sequence || !answer) { return; }
        show(answer);
        form.removeAttribute("data-validating");
      }).catch(function () { form.removeAttribute("data-validating"); });
    }

    function schedule(event) {
      var el = event.target;
      if (!el || !el.name || !el.matches("[data-field]")) { return; }
      touched[el.name] = true;
      if (timer !== null) { window.clearTimeout(timer); }
      timer = window.setTimeout(function () { timer = null; validate(); }, DEBOUNCE_MS);
    }

    form.querySelectorAll("[data-error-for]").forEach(function (box) {
      if (!box.hidden) { touched[box.getAttribute("data-error-for")] = true; }
    });
    form.addEventListener("focusout", schedule);
    form.addEventListener("change", schedule);
    // One key per form shown: a resent submission is stored once.
    var key = form.querySelector("input[name=source_key]");
    if (key && !key.value && window.crypto && window.crypto.randomUUID) {
      key.value = "web-" + window.crypto.randomUUID();
    }
  }

  function start() {
    drawChart();
    document.querySelectorAll("form[data-contact-form]").forEach(setupForm);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
