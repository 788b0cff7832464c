// The chain of a case: cases laid out by generation on the server (selectors/chain_layout.py),
// drawn with Plotly in SVG (`?gl=1` asks for WebGL, scattergl: without a GPU — headless
// Chromium's software WebGL — a 2,000-case chain took 11 s to draw against 1.3 s in SVG, and
// wheel zoom stalled, so SVG is the default; bench/bench_chain_render.py). Hovering a case shows who it is (pseudonymised outside the
// jurisdiction) and highlights its infector and infectees; clicking a case of the jurisdiction
// opens its report, any other case pins the highlight. Drag pans, the wheel zooms, a double
// click resets the view.
//
// The highlight is drawn in a small SVG laid over the plot, not by restyling Plotly's traces:
// restyling redraws every trace (~0.4 s for 2,000 cases), the overlay only a few lines.
(function () {
  "use strict";
  var el = document.getElementById("chain-chart");
  var island = document.getElementById("chain-data");
  if (!el || !island || !window.Plotly) { return; }
  var d = JSON.parse(island.textContent);
  var L = d.labels;
  var panel = document.getElementById("chain-detail");
  var SVG = "http://www.w3.org/2000/svg";
  var pinned = null;
  var shown = null;
  var count = 0;

  function fmt(text, n) { return String(text).replace("%(n)s", n); }
  function esc(text) {
    return String(text).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  // Nodes from the columns of the data island.
  var c = d.nodes, nodes = [], byId = {};
  for (var i = 0; i < c.id.length; i += 1) {
    var n = { id: c.id[i], label: c.label[i], pseudonymised: !!c.pseudo[i],
              division: d.divisions[c.div[i]], classification: d.classes[c.cls[i]],
              onset: c.onset[i], generation: c.gen[i], infectees: c.infectees[i],
              inChain: !!c.chain[i], url: c.open[i] ? d.case_url.replace("/0/", "/" + c.id[i] + "/") : null,
              x: c.x[i], y: c.y[i] };
    nodes.push(n);
    byId[n.id] = n;
  }
  var infectorOf = {}, proposedFor = {}, infecteesOf = {}, touching = {};
  nodes.forEach(function (n) { infecteesOf[n.id] = []; touching[n.id] = []; });
  d.confirmed.forEach(function (e) {
    if (!(e[0] in byId) || !(e[1] in byId)) { return; }
    infectorOf[e[1]] = e[0];
    infecteesOf[e[0]].push(e[1]);
    touching[e[0]].push(e); touching[e[1]].push(e);
  });
  d.proposed.forEach(function (e) {
    if (!(e[0] in byId) || !(e[1] in byId)) { return; }
    (proposedFor[e[1]] = proposedFor[e[1]] || []).push(e[0]);
    touching[e[0]].push(e); touching[e[1]].push(e);
  });

  function hover(n) {
    var parts = [esc(n.label) + (n.pseudonymised ? "" : " #" + n.id),
                 esc(n.division) + (n.onset ? " · " + L.onset + " " + n.onset : "")];
    parts.push(n.generation !== null
      ? fmt(L.generation, n.generation) + " · " + fmt(L.infectees, n.infectees) : L.candidate);
    return parts.join("<br>");
  }

  function segments(edges) {
    var x = [], y = [];
    edges.forEach(function (e) {
      var a = byId[e[0]], b = byId[e[1]];
      x.push(a.x, b.x, null); y.push(a.y, b.y, null);
    });
    return { x: x, y: y };
  }

  function webgl() {
    try {
      var canvas = document.createElement("canvas");
      return !!(canvas.getContext("webgl") || canvas.getContext("experimental-webgl"));
    } catch (err) { return false; }
  }
  var gl = new URLSearchParams(window.location.search).get("gl") === "1" && webgl();
  var type = gl ? "scattergl" : "scatter";
  el.dataset.renderer = type;

  function nodeTrace(list, name, colour, symbol) {
    return {
      type: type, mode: "markers", name: name, showlegend: list.length > 0,
      x: list.map(function (n) { return n.x; }), y: list.map(function (n) { return n.y; }),
      customdata: list.map(function (n) { return n.id; }),
      hovertext: list.map(hover), hovertemplate: "%{hovertext}<extra></extra>",
      marker: { color: colour, symbol: symbol || "circle", line: { width: 1, color: "#ffffff" },
                size: list.map(function (n) { return 8 + 3 * Math.sqrt(n.infectees); }) }
    };
  }

  var confirmed = segments(d.confirmed.filter(function (e) { return e[0] in byId && e[1] in byId; }));
  var proposed = segments(d.proposed.filter(function (e) { return e[0] in byId && e[1] in byId; }));
  var focus = byId[d.focus];
  var traces = [
    { type: type, mode: "lines", name: L.confirmed, x: confirmed.x, y: confirmed.y,
      line: { color: "#7b8794", width: 1.2 }, hoverinfo: "skip" },
    { type: type, mode: "lines", name: L.proposed, x: proposed.x, y: proposed.y,
      line: { color: "#e07b00", width: 1.5, dash: "dash" }, hoverinfo: "skip",
      showlegend: proposed.x.length > 0 },
    nodeTrace(nodes.filter(function (n) { return n.inChain && !n.pseudonymised; }),
              L.inside, "#1f5f8b"),
    nodeTrace(nodes.filter(function (n) { return n.inChain && n.pseudonymised; }),
              L.outside, "#9aa5b1", "diamond"),
    nodeTrace(nodes.filter(function (n) { return !n.inChain; }), L.candidate, "#e07b00",
              "circle-open"),
    { type: type, mode: "markers", name: L.focus, x: [focus.x], y: [focus.y],
      hoverinfo: "skip", marker: { size: 22, symbol: "circle-open", color: "#111111",
                                   line: { width: 3, color: "#111111" } } }
  ];

  var ticks = [];
  for (var g = 0; g <= Math.max(d.generations, 0); g += 1) { ticks.push(g); }
  var layout = {
    margin: { l: 64, r: 12, t: 8, b: 8 }, dragmode: "pan", hovermode: "closest",
    height: Math.max(460, Math.min(860, 160 + 70 * (d.generations + 1))),
    showlegend: true, legend: { orientation: "h", x: 0, y: 1.0, yanchor: "bottom" },
    xaxis: { visible: false, zeroline: false },
    yaxis: { zeroline: false, showgrid: true, gridcolor: "#eef0f2", tickmode: "array",
             tickvals: ticks.map(function (t) { return -t; })
               .concat(proposed.x.length ? [1] : []),
             ticktext: ticks.map(function (t) { return fmt(L.generation, t); })
               .concat(proposed.x.length ? [L.candidate] : []) },
    plot_bgcolor: "#ffffff", paper_bgcolor: "#ffffff"
  };
  // No mode bar: drag pans, the wheel zooms and a double click resets (the page says so).
  var config = { responsive: true, scrollZoom: true, displayModeBar: false };

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
    row(dl, L.infecteesTerm, String(infecteesOf[n.id].length));
    if (n.url) {
      var a = document.createElement("a");
      a.href = n.url; a.textContent = L.open; a.setAttribute("data-testid", "chain-open-case");
      row(dl, "", a);
    } else {
      row(dl, "", n.pseudonymised ? L.outsideNote : "");
    }
  }

  // The overlay: an SVG over the plot area, in page pixels of Plotly's axes.
  var overlay = document.createElementNS(SVG, "svg");
  overlay.setAttribute("class", "chain-overlay");
  overlay.setAttribute("aria-hidden", "true");

  function px(n) {
    var xa = el._fullLayout.xaxis, ya = el._fullLayout.yaxis;
    return [xa._offset + xa.l2p(n.x), ya._offset + ya.l2p(n.y)];
  }

  function draw(id) {
    while (overlay.firstChild) { overlay.removeChild(overlay.firstChild); }
    shown = id;
    if (id === null || !byId[id] || !el._fullLayout) { return; }
    var full = el._fullLayout;
    overlay.setAttribute("width", full.width);
    overlay.setAttribute("height", full.height);
    var clip = document.createElementNS(SVG, "clipPath");
    clip.setAttribute("id", "chain-overlay-clip");
    var rect = document.createElementNS(SVG, "rect");
    rect.setAttribute("x", full.xaxis._offset); rect.setAttribute("y", full.yaxis._offset);
    rect.setAttribute("width", full.xaxis._length); rect.setAttribute("height", full.yaxis._length);
    clip.appendChild(rect);
    overlay.appendChild(clip);
    var group = document.createElementNS(SVG, "g");
    group.setAttribute("clip-path", "url(#chain-overlay-clip)");
    overlay.appendChild(group);
    touching[id].forEach(function (e) {
      var a = px(byId[e[0]]), b = px(byId[e[1]]);
      var line = document.createElementNS(SVG, "line");
      line.setAttribute("x1", a[0]); line.setAttribute("y1", a[1]);
      line.setAttribute("x2", b[0]); line.setAttribute("y2", b[1]);
      line.setAttribute("class", e.length > 2 ? "hl-edge proposed" : "hl-edge");
      group.appendChild(line);
    });
    var near = [];
    if (infectorOf[id] !== undefined) { near.push(infectorOf[id]); }
    (proposedFor[id] || []).forEach(function (p) { near.push(p); });
    near = near.concat(infecteesOf[id]);
    near.concat([id]).forEach(function (m) {
      var at = px(byId[m]);
      var ring = document.createElementNS(SVG, "circle");
      ring.setAttribute("cx", at[0]); ring.setAttribute("cy", at[1]);
      ring.setAttribute("r", m === id ? 11 : 8);
      ring.setAttribute("class", m === id ? "hl-node self" : "hl-node");
      group.appendChild(ring);
    });
    el.dataset.neighbours = String(near.length);
  }

  function highlight(id) {
    if (!byId[id]) { return; }
    draw(id);
    describe(byId[id]);
    count += 1;
    el.dataset.highlighted = String(id);
    el.dataset.highlights = String(count);
    window.__chainHighlightedAt = performance.now();
  }

  function clear() {
    draw(null);
    el.dataset.highlighted = "";
  }

  Plotly.newPlot(el, traces, layout, config).then(function () {
    el.setAttribute("aria-busy", "false");
    var note = el.querySelector(".loading");
    if (note) { note.remove(); }
    var container = el.querySelector(".svg-container") || el;
    container.appendChild(overlay);
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
      el.dataset.clicked = String(id);
      if (byId[id].url) { window.location.assign(byId[id].url); return; }
      pinned = id;
      highlight(id);
    });
    // Pan, zoom, resize: the overlay follows the axes.
    el.on("plotly_afterplot", function () { if (shown !== null) { draw(shown); } });
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
