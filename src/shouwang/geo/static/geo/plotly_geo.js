// What every Plotly map of divisions needs (window.ShouwangGeo): an empty base map, so that
// Plotly fetches nothing from its CDN (the divisions are the whole map), and a trace of the
// boundary lines the map of China must show (geo/lines.geojson).
(function () {
  "use strict";

  function linesTrace(collection) {
    var lon = [], lat = [];
    collection.features.forEach(function (f) {
      var g = f.geometry;
      var parts = g.type === "LineString" ? [g.coordinates] : g.coordinates;
      parts.forEach(function (line) {
        line.forEach(function (p) { lon.push(p[0]); lat.push(p[1]); });
        lon.push(null); lat.push(null);
      });
    });
    return {type: "scattergeo", mode: "lines", lon: lon, lat: lat, hoverinfo: "skip",
            line: {width: 1, color: "#555"}, showlegend: false};
  }

  function registerEmptyBaseMap() {
    var empty = {type: "GeometryCollection", geometries: []};
    var assets = window.PlotlyGeoAssets = window.PlotlyGeoAssets || {};
    assets.topojson = assets.topojson || {};
    assets.topojson.world_110m = {
      type: "Topology", arcs: [],
      objects: {land: empty, ocean: empty, lakes: empty, rivers: empty, coastlines: empty,
                countries: empty, subunits: empty}
    };
  }

  window.ShouwangGeo = {linesTrace: linesTrace, registerEmptyBaseMap: registerEmptyBaseMap};
})();
