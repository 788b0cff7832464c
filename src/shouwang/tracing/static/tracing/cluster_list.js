// The clusters list: clusters by setting kind (bars) and each cluster's span from its first to
// its last case (a timeline, open ones in red). Data from the page's JSON island.
(function () {
  "use strict";

  var DAY = 86400000;

  function draw() {
    var island = document.getElementById("cluster-chart-data");
    if (!island || !window.Plotly) { return; }
    var d = JSON.parse(island.textContent);
    var kinds = document.getElementById("cluster-kinds");
    var spans = document.getElementById("cluster-spans");
    var config = { displayModeBar: false, responsive: true };
    if (kinds) {
      Plotly.newPlot(kinds, [{ type: "bar", x: d.kinds, y: d.counts, name: kinds.dataset.labelCount,
                               marker: { color: "#1f7a8c" } }], {
        margin: { l: 36, r: 10, t: 10, b: 40 }, height: 260, bargap: 0.55,
        // Whole-number ticks, about eight of them at most (a tick per cluster crowds at 40).
        yaxis: { rangemode: "tozero", dtick: Math.max(1, Math.ceil(Math.max.apply(null, d.counts.concat([1])) / 8)) },
        paper_bgcolor: "#fff", plot_bgcolor: "#fff"
      }, config);
    }
    if (spans) {
      var L = spans.dataset;
      var rows = d.spans.slice().reverse();
      Plotly.newPlot(spans, [{
        type: "bar", orientation: "h", y: rows.map(function (s) { return s.label; }),
        base: rows.map(function (s) { return s.start; }),
        x: rows.map(function (s) { return Date.parse(s.end) - Date.parse(s.start) + DAY; }),
        marker: { color: rows.map(function (s) { return s.status === "open" ? "#b42318" : "#9bb7c4"; }) },
        text: rows.map(function (s) {
          return s.start + " — " + s.end + " · " + s.cases + " " + L.labelCases + " · " +
            (s.status === "open" ? L.statusOpen : L.statusClosed);
        }),
        hovertemplate: "%{y}<br>%{text}<extra></extra>", textposition: "none"
      }], {
        margin: { l: 10, r: 10, t: 10, b: 30 }, height: Math.max(220, 60 + 22 * rows.length),
        xaxis: { type: "date", tickformat: "%m-%d", hoverformat: "%Y-%m-%d" },
        yaxis: { automargin: true }, bargap: 0.45, paper_bgcolor: "#fff", plot_bgcolor: "#fff"
      }, config);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
