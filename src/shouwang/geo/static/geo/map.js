// The division map: boundaries from a static GeoJSON keyed by division code, drawn with
// Plotly.js. Configuration comes from the data-* attributes of #geo-map (no inline script:
// the Content-Security-Policy forbids it).
(function () {
  "use strict";

  function draw(el, collection, lines) {
    var prefix = el.dataset.prefix || "";
    var group = parseInt(el.dataset.group || "6", 10);
    var highlight = el.dataset.highlight || "";
    var features = collection.features.filter(function (f) {
      return String(f.id).indexOf(prefix) === 0;
    });
    if (!features.length) {
      el.textContent = el.dataset.empty || "";
      el.classList.add("empty-state");
      return;
    }
    var groups = {}, parents = {}, ids = [], z = [], text = [];
    features.forEach(function (f) {
      var key = group === 4 ? f.properties.parent : String(f.id).slice(0, group);
      if (!(key in groups)) { groups[key] = Object.keys(groups).length; }
      parents[f.id] = f.properties.parent;
      ids.push(f.id);
      z.push(highlight ? (f.id === highlight ? 1 : 0) : groups[key] % 8);
      text.push(f.properties.name + " " + f.id);
    });
    var trace = {
      type: "choropleth", geojson: {type: "FeatureCollection", features: features},
      featureidkey: "id", locations: ids, z: z, text: text, hoverinfo: "text",
      colorscale: "YlGnBu", showscale: false, marker: {line: {width: 0.5, color: "#fff"}}
    };
    var data = [trace];
    if (!prefix && lines) { data.push(window.ShouwangGeo.linesTrace(lines)); }
    var layout = {
      margin: {l: 0, r: 0, t: 0, b: 0}, height: 520, dragmode: false,
      paper_bgcolor: "#fff",
      geo: {scope: "world", resolution: 110, fitbounds: "locations", visible: false, bgcolor: "#fff",
            projection: {type: "mercator"}}
    };
    window.ShouwangGeo.registerEmptyBaseMap();
    window.Plotly.newPlot(el, data, layout, {displayModeBar: false, responsive: true});
    el.on("plotly_click", function (ev) {
      if (!ev.points || !ev.points.length || ev.points[0].location === undefined) { return; }
      var code = String(ev.points[0].location);
      if (el.dataset.link === "group") { code = parents[code] || code; }
      window.location.href = el.dataset.urlTemplate.replace("000000", code);
    });
  }

  function start() {
    var el = document.getElementById("geo-map");
    if (!el || !window.Plotly) { return; }
    var wantLines = !el.dataset.prefix;
    Promise.all([
      fetch(el.dataset.geojson).then(function (r) { return r.json(); }),
      wantLines ? fetch(el.dataset.lines).then(function (r) { return r.json(); }) : null
    ]).then(function (res) { draw(el, res[0], res[1]); });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
