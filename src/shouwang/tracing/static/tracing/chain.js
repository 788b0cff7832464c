// The chain of a case: cases laid out by generation on the server (selectors/chain_layout.py),
// drawn with Plotly (SVG; WebGL beyond 3,000 cases when the browser has it). Hovering a case
// shows who it is (pseudonymised outside the jurisdiction) and highlights its infector and its
// infectees; clicking a case of the jurisdiction opens its report, any other case pins the
// highlight. Drag pans, the wheel zooms, a double click resets the view.
(function () {
  "use strict";
  var el = document.getElementById("chain-chart");
  var island = document.getElementById("chain-data");
  if (!el || !island || !window.Plotly) { return; }
  var d = JSON.parse(island.textContent);
  var L = d.labels;
  var panel = document.getElementById("chain-detail");
  var HL_EDGES = 5, HL_NODES = 6;
  var pinned = null;

  function fmt(text, n) { return String(text).replace("%(n)s", n); }
  function esc(text) {
    return String(text).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  var byId = {}, infectorOf = {}, proposedFor = {}, infecteesOf = {}, touching = {};
  d.nodes.forEach(function (n) { byId[n.id] = n; infecteesOf[n.id] = []; touching[n.id] = []; });
  d.edges.forEach(function (e) {
    if (!(e.infector in byId) || !(e.infectee in byId)) { return; }
    if (e.status === "confirmed") {
      infectorOf[e.infectee] = e.infector;
      infecteesOf[e.infector].push(e.infectee);
    } else {
      (proposedFor[e.infectee] = proposedFor[e.infectee] || []).push(e.infector);
    }
    touching[e.infector].push(e);
    touching[e.infectee].push(e);
  });

  function hover(n) {
    var parts = [esc(n.label) + (n.pseudonymised ? "" : " #" + n.id),
                 esc(n.division_name) + (n.onset ? " · " + L.onset + " " + n.onset : "")];
    if (n.generation !== null) {
      parts.push(fmt(L.generation, n.generation) + " · " + fmt(L.infectees, n.infectees));
    } else {
      parts.push(L.candidate);
    }
    return parts.join("<br>");
  }

  function segments(edges) {
    var x = [], y = [];
    edges.forEach(function (e) {
      var a = byId[e.infector], b = byId[e.infectee];
      if (!a || !b) { return; }
      x.push(a.x, b.x, null); y.push(a.y, b.y, null);
    });
    return { x: x, y: y };
  }

  function webgl() {
    try {
      var c = document.createElement("canvas");
      return !!(c.getContext("webgl") || c.getContext("experimental-webgl"));
    } catch (err) { return false; }
  }
  var type = d.nodes.length > 3000 && webgl() ? "scattergl" : "scatter";

  function nodeTrace(nodes, name, colour, symbol) {
    return {
      type: type, mode: "markers", name: name, x: nodes.map(function (n) { return n.x; }),
      y: nodes.map(function (n) { return n.y; }),
      customdata: nodes.map(function (n) { return n.id; }),
      hovertext: nodes.map(hover), hovertemplate: "%{hovertext}<extra></extra>",
      marker: { color: colour, symbol: symbol || "circle", line: { width: 1, color: "#ffffff" },
                size: nodes.map(function (n) { return 8 + 3 * Math.sqrt(n.infectees); }) }
    };
  }

  var confirmed = segments(d.edges.filter(function (e) { return e.status === "confirmed"; }));
  var proposed = segments(d.edges.filter(function (e) { return e.status !== "confirmed"; }));
  var focus = byId[d.focus];
  var traces = [
    { type: type, mode: "lines", name: L.confirmed, x: confirmed.x, y: confirmed.y,
      line: { color: "#7b8794", width: 1.2 }, hoverinfo: "skip" },
    { type: type, mode: "lines", name: L.proposed, x: proposed.x, y: proposed.y,
      line: { color: "#e07b00", width: 1.5, dash: "dash" }, hoverinfo: "skip",
      showlegend: proposed.x.length > 0 },
    nodeTrace(d.nodes.filter(function (n) { return n.in_chain && !n.pseudonymised; }),
              L.inside, "#1f5f8b"),
    nodeTrace(d.nodes.filter(function (n) { return n.in_chain && n.pseudonymised; }),
              L.outside, "#9aa5b1", "diamond"),
    nodeTrace(d.nodes.filter(function (n) { return !n.in_chain; }), L.candidate, "#e07b00",
              "circle-open"),
    { type: type, mode: "lines", x: [], y: [], line: { color: "#d7301f", width: 3 },
      hoverinfo: "skip", showlegend: false },
    { type: type, mode: "markers", x: [], y: [], hoverinfo: "skip", showlegend: false,
      marker: { size: 16, color: "rgba(0,0,0,0)", line: { width: 2.5, color: "#d7301f" } } },
    { type: type, mode: "markers", name: L.focus, x: [focus.x], y: [focus.y],
      hoverinfo: "skip", marker: { size: 22, symbol: "circle-open", color: "#111111",
                                   line: { width: 3, color: "#111111" } } }
  ];
  traces[4].showlegend = traces[4].x.length > 0;
  traces[3].showlegend = traces[3].x.length > 0;

  var ticks = [];
  for (var g = 0; g <= Math.max(d.generations, 0) + (proposed.x.length ? 1 : 0); g += 1) {
    ticks.push(g);
  }
  var layout = {
    margin: { l: 64, r: 12, t: 8, b: 8 }, dragmode: "pan", hovermode: "closest",
    height: Math.max(460, Math.min(860, 160 + 70 * (d.generations + 1))),
    showlegend: true, legend: { orientation: "h", x: 0, y: 1.0, yanchor: "bottom" },
    xaxis: { visible: false, zeroline: false },
    yaxis: { zeroline: false, showgrid: true, gridcolor: "#eef0f2", tickmode: "array",
             tickvals: ticks.map(function (t) { return -t; }).concat(proposed.x.length ? [1] : []),
             ticktext: ticks.map(function (t) { return fmt(L.generation, t); })
               .concat(proposed.x.length ? [L.candidate] : []) },
    plot_bgcolor: "#ffffff", paper_bgcolor: "#ffffff"
  };
  var config = { responsive: true, scrollZoom: true, displaylogo: false,
                 modeBarButtonsToRemove: ["select2d", "lasso2d", "autoScale2d"] };

  function row(dl, term, value) {
    var dt = document.createElement("dt"); dt.textContent = term;
    var dd = document.createElement("dd");
    if (value instanceof Node) { dd.appendChild(value); } else { dd.textContent = value; }
    dl.appendChild(dt); dl.appendChild(dd);
  }

  function describe(n) {
    if (!panel) { return; }
    var dl = panel.querySelector("dl"), empty = panel.querySelector(".hint");
    dl.textContent = "";
    dl.hidden = false;
    if (empty) { empty.hidden = true; }
    row(dl, "#", n.pseudonymised ? n.label : n.label + " #" + n.id);
    row(dl, L.onset, n.onset || "—");
    row(dl, L.generations, n.generation === null ? L.candidate : String(n.generation));
    var source = infectorOf[n.id];
    row(dl, L.infector, source !== undefined ? (byId[source].pseudonymised ? byId[source].label
        : byId[source].label + " #" + source) : L.none);
    row(dl, fmt(L.infectees, ""), String(infecteesOf[n.id].length));
    if (n.url) {
      var a = document.createElement("a");
      a.href = n.url; a.textContent = L.open; a.setAttribute("data-testid", "chain-open-case");
      row(dl, "", a);
    } else {
      row(dl, "", n.pseudonymised ? L.outsideNote : "");
    }
  }

  function highlight(id) {
    var n = byId[id];
    if (!n) { return Promise.resolve(); }
    var edges = segments(touching[id]);
    var near = [];
    if (infectorOf[id] !== undefined) { near.push(byId[infectorOf[id]]); }
    (proposedFor[id] || []).forEach(function (p) { near.push(byId[p]); });
    infecteesOf[id].forEach(function (c) { near.push(byId[c]); });
    describe(n);
    return Plotly.restyle(el, {
      x: [edges.x, near.map(function (m) { return m.x; })],
      y: [edges.y, near.map(function (m) { return m.y; })]
    }, [HL_EDGES, HL_NODES]).then(function () {
      el.dataset.highlighted = String(id);
      window.__chainHighlightedAt = performance.now();
    });
  }

  function clear() {
    return Plotly.restyle(el, { x: [[], []], y: [[], []] }, [HL_EDGES, HL_NODES]).then(function () {
      el.dataset.highlighted = "";
    });
  }

  Plotly.newPlot(el, traces, layout, config).then(function () {
    el.setAttribute("aria-busy", "false");
    var note = el.querySelector(".loading");
    if (note) { note.remove(); }
    el.dataset.rendered = "1";
    window.__chainRenderedAt = performance.now();
    el.on("plotly_hover", function (ev) {
      var id = ev.points && ev.points[0] && ev.points[0].customdata;
      if (id !== undefined && id !== null) { highlight(id); }
    });
    el.on("plotly_unhover", function () {
      if (pinned !== null) { highlight(pinned); } else { clear(); }
    });
    el.on("plotly_click", function (ev) {
      var id = ev.points && ev.points[0] && ev.points[0].customdata;
      if (id === undefined || id === null) { return; }
      var n = byId[id];
      el.dataset.clicked = String(id);
      if (n.url) { window.location.assign(n.url); return; }
      pinned = id;
      highlight(id);
    });
  });

  var input = document.getElementById("chain-find-input");
  var button = document.getElementById("chain-find-button");
  var findNote = document.getElementById("chain-find-note");
  function find() {
    var id = parseInt(String(input.value).replace("#", ""), 10);
    var n = byId[id];
    if (!n) { findNote.textContent = L.notFound; return; }
    findNote.textContent = L.highlighted;
    pinned = id;
    var xr = el._fullLayout ? el._fullLayout.xaxis.range : null;
    var half = xr ? Math.min(Math.abs(xr[1] - xr[0]) / 2, 20) : 20;
    Plotly.relayout(el, { "xaxis.range": [n.x - half, n.x + half] }).then(function () {
      highlight(id);
    });
  }
  if (button && input) {
    button.addEventListener("click", find);
    input.addEventListener("keydown", function (ev) { if (ev.key === "Enter") { find(); } });
  }
}());
