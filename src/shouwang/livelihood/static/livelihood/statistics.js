// The livelihood statistics page: a bar chart of monitored, assisted and eliminated per area, a
// monthly line of identified against eliminated, and a map of the counties (provinces under the
// nation) coloured by the monitored share or the poverty incidence (grey: no data). Data from
// json_script islands, labels from data-* attributes (no inline script: the CSP forbids it);
// boundaries from the geo app's static GeoJSON through window.ShouwangGeo. A click on a shape
// opens that area's statistics.
(function () {
  "use strict";

  var CFG = {displayModeBar: false, responsive: true};
  var SCALE = [[0, "#fff5eb"], [0.25, "#fdd0a2"], [0.5, "#fd8d3c"], [0.75, "#d94801"],
               [1, "#7f2704"]];

  function island(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }

  function done(el) { el.dataset.rendered = "1"; el.setAttribute("aria-busy", "false"); }

  function charts(data) {
    var bars = document.getElementById("lh-stat-bars");
    if (bars) {
      var L = bars.dataset;
      window.Plotly.newPlot(bars, [
        {type: "bar", name: L.labelMonitored, x: data.areas, y: data.monitored,
         marker: {color: "#d08a00"}},
        {type: "bar", name: L.labelAssisted, x: data.areas, y: data.assisted,
         marker: {color: "#1f77b4"}},
        {type: "bar", name: L.labelEliminated, x: data.areas, y: data.eliminated,
         marker: {color: "#2e8b57"}}
      ], {barmode: "group", margin: {t: 10, r: 10, b: 80, l: 40},
          yaxis: {rangemode: "tozero"}, xaxis: {type: "category", automargin: true},
          legend: {orientation: "h", y: 1.12}}, CFG).then(function () { done(bars); });
    }
    var months = document.getElementById("lh-stat-months");
    if (months) {
      var M = months.dataset;
      window.Plotly.newPlot(months, [
        {type: "scatter", mode: "lines+markers", name: M.labelIdentified, x: data.months,
         y: data.identified_m, line: {color: "#d62728"}},
        {type: "scatter", mode: "lines+markers", name: M.labelEliminated, x: data.months,
         y: data.eliminated_m, line: {color: "#2e8b57"}}
      ], {margin: {t: 10, r: 10, b: 40, l: 40}, yaxis: {rangemode: "tozero"},
          xaxis: {type: "category"}, legend: {orientation: "h", y: 1.12}}, CFG)
        .then(function () { done(months); });
    }
  }

  function metric() {
    var checked = document.querySelector("input[name=lh-map-metric]:checked");
    return checked ? checked.value : "monitored_share";
  }

  function drawMap(el, data, collection, lines) {
    var L = el.dataset;
    var prefix = L.prefix || "";
    var features = collection.features.filter(function (f) {
      return String(f.id).indexOf(prefix) === 0;
    });
    var note = el.querySelector(".loading");
    if (note) { note.remove(); }
    if (!features.length) {
      el.textContent = L.empty || "";
      el.classList.add("empty-state");
      done(el);
      return;
    }
    var key = metric();
    var label = key === "incidence" ? L.labelIncidence : L.labelMonitored;
    var withData = {ids: [], z: [], text: []}, without = {ids: [], z: [], text: []};
    var top = 0;
    features.forEach(function (f) {
      var code = String(f.id);
      var a = data.areas[code];
      var value = a ? a[key] : null;
      var name = a ? a.name : f.properties.name;
      var shown = value === null || value === undefined ? L.labelNoData : a[key + "_pct"];
      var hover = name + " " + code + "<br>" + label + " " + shown;
      if (a) { hover += "<br>" + L.labelHouseholds + " " + a.households; }
      var bucket = value === null || value === undefined ? without : withData;
      bucket.ids.push(code); bucket.text.push(hover);
      bucket.z.push(value === null || value === undefined ? 0 : value);
      if (value && value > top) { top = value; }
    });
    var geojson = {type: "FeatureCollection", features: features};
    var traces = [];
    if (without.ids.length) {
      traces.push({type: "choropleth", geojson: geojson, featureidkey: "id",
                   locations: without.ids, z: without.z, text: without.text,
                   hoverinfo: "text", showscale: false,
                   colorscale: [[0, "#d9d9d9"], [1, "#d9d9d9"]],
                   marker: {line: {width: 0.5, color: "#fff"}}});
    }
    if (withData.ids.length) {
      traces.push({type: "choropleth", geojson: geojson, featureidkey: "id",
                   locations: withData.ids, z: withData.z, text: withData.text,
                   hoverinfo: "text", zmin: 0, zmax: top > 0 ? top : 1, colorscale: SCALE,
                   colorbar: {tickformat: ".0%", thickness: 12, len: 0.6},
                   marker: {line: {width: 0.5, color: "#fff"}}});
    }
    if (!prefix && lines) { traces.push(window.ShouwangGeo.linesTrace(lines)); }
    window.ShouwangGeo.registerEmptyBaseMap();
    window.Plotly.react(el, traces, {
      margin: {l: 0, r: 0, t: 0, b: 0}, height: 440, dragmode: false, paper_bgcolor: "#fff",
      geo: {scope: "world", resolution: 110, fitbounds: "locations", visible: false,
            bgcolor: "#fff", projection: {type: "mercator"}}
    }, CFG).then(function () { done(el); });
    if (!el.dataset.clicks) {
      el.dataset.clicks = "1";
      el.on("plotly_click", function (ev) {
        if (!ev.points || !ev.points.length || ev.points[0].location === undefined) { return; }
        window.location.href = L.urlTemplate.replace("000000", String(ev.points[0].location));
      });
    }
  }

  function start() {
    if (!window.Plotly) { return; }
    var data = island("lh-stat-chart-data");
    if (data) { charts(data); }
    var el = document.getElementById("lh-stat-map");
    var areas = island("lh-stat-map-data");
    if (!el || !areas || !window.ShouwangGeo) { return; }
    Promise.all([
      fetch(el.dataset.geojson).then(function (r) { return r.json(); }),
      el.dataset.lines ? fetch(el.dataset.lines).then(function (r) { return r.json(); }) : null
    ]).then(function (res) {
      drawMap(el, areas, res[0], res[1]);
      document.querySelectorAll("input[name=lh-map-metric]").forEach(function (input) {
        input.addEventListener("change", function () { drawMap(el, areas, res[0], res[1]); });
      });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
