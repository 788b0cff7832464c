// The public risk map: counties filled by their level in force, drawn as plain SVG from the
// compact boundary files of shouwang/risk/build_map_assets.py (already projected and quantised:
// no projection code here, no Plotly). Configuration comes from the data-* attributes of
// #risk-map and the levels from the JSON island #risk-map-data (the CSP forbids inline script).
// A click (tap) on a province zooms into it, loads its finer file and puts its code in the URL
// (/public/risk/42/); the back button and the browser's history zoom out. Hover (tap) on a
// county shows its name, level and since-when. Wheel and pinch zoom, drag to pan.
(function () {
  "use strict";

  var el = document.getElementById("risk-map");
  var island = document.getElementById("risk-map-data");
  if (!el || !island) { return; }
  var cfg = el.dataset;
  var data = JSON.parse(island.textContent);
  var LEVEL = {l: "low", m: "medium", h: "high"};
  var since = {};
  Object.keys(data.s).forEach(function (day) {
    data.s[day].split(",").forEach(function (code) { since[code] = day; });
  });
  var inner = {};
  data.x.forEach(function (code) { inner[code] = true; });
  // The English page's names ({code: name_en}); the map file holds the Chinese ones.
  var local = data.n || {};
  function named(code, name) { return local[code] || name; }

  var wrap = el.parentNode;
  var tip = document.getElementById("map-tip");
  var back = document.getElementById("map-back");
  var panel = document.getElementById("map-panel");
  var pick = document.getElementById("map-pick");
  var state = {province: "", home: null, view: null, names: {}, paths: {},
               byProvince: {}, provinceNames: {}, outlines: {}, fine: {}, seq: 0};
  var svg, fineLayer, outlineLayer, labelLayer;

  function levelOf(code) { return LEVEL[data.l[code] || "l"]; }

  function setView(box) {
    state.view = box.slice();
    svg.setAttribute("viewBox", box.join(" "));
    var scale = box[2] / Math.max(el.clientWidth, 1);
    labelLayer.setAttribute("font-size", String(12 * scale));
    labelLayer.setAttribute("stroke-width", String(3 * scale));
  }

  function draw(asset) {
    var parts = ['<svg xmlns="http://www.w3.org/2000/svg" preserveAspectRatio="xMidYMid meet">',
                 '<g class="counties">'];
    asset.c.forEach(function (c) {
      var code = c[0];
      state.names[code] = named(code, c[1]);
      (state.byProvince[code.slice(0, 2)] = state.byProvince[code.slice(0, 2)] || []).push(code);
      parts.push('<path d="' + c[2] + '" data-c="' + code + '" class="lv-' +
                 (data.l[code] || "l") + (inner[code] ? " inner" : "") + '"/>');
    });
    parts.push('</g><g class="fine"></g><g class="provinces">');
    asset.p.forEach(function (p) {
      var short = p[0].slice(0, 2);
      state.provinceNames[short] = named(p[0], p[1]);
      var nodata = !state.byProvince[short];
      parts.push('<path d="' + p[2] + '" data-p="' + short + '"' +
                 (nodata ? ' class="nodata"' : "") + "/>");
    });
    parts.push('</g><g class="outline"></g><g class="lines"><path d="' + asset.l +
               '"/></g><g class="labels">');
    asset.p.forEach(function (p) {
      parts.push('<text x="' + p[3][0] + '" y="' + p[3][1] + '"></text>');
    });
    parts.push("</g></svg>");
    el.innerHTML = parts.join("");
    svg = el.firstChild;
    fineLayer = svg.querySelector(".fine");
    outlineLayer = svg.querySelector(".outline");
    labelLayer = svg.querySelector(".labels");
    var texts = labelLayer.querySelectorAll("text");
    asset.p.forEach(function (p, i) { texts[i].textContent = named(p[0], p[1]); });
    Array.prototype.forEach.call(svg.querySelectorAll(".counties path"), function (path) {
      state.paths[path.getAttribute("data-c")] = path;
    });
    Array.prototype.forEach.call(svg.querySelectorAll(".provinces path"), function (path) {
      state.outlines[path.getAttribute("data-p")] = path;
    });
    asset.p.forEach(function (p) {
      var short = p[0].slice(0, 2);
      if (pick && state.byProvince[short]) {
        var option = document.createElement("option");
        option.value = short;
        option.textContent = named(p[0], p[1]);
        pick.appendChild(option);
      }
    });
    state.home = asset.box;
    setView(state.home);
    bind();
    if (cfg.province) { zoom(cfg.province, false); }
    el.dataset.rendered = "1";
    window.__riskMapRenderedAt = performance.now();
  }

  // --- zoom into a province and out ---------------------------------------------------------

  function pageUrl(province, extra) {
    var q = [];
    if (cfg.date) { q.push("date=" + encodeURIComponent(cfg.date)); }
    if (extra) { q.push(extra); }
    return cfg.pageBase + (province ? province + "/" : "") + (q.length ? "?" + q.join("&") : "");
  }

  function refreshPanel(province) {
    if (!panel) { return; }
    var seq = ++state.seq;
    fetch(pageUrl(province, "part=panel"), {credentials: "same-origin"})
      .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
      .then(function (html) { if (seq === state.seq) { panel.innerHTML = html; } })
      .catch(function () { /* the panel keeps its previous content */ });
  }

  function padded(box, ratio) {
    var dx = box.width * ratio, dy = box.height * ratio;
    return [box.x - dx, box.y - dy, box.width + 2 * dx, box.height + 2 * dy];
  }

  function showFine(province, asset) {
    if (state.province !== province) { return; }
    var s = asset.unit;
    var parts = ['<g transform="scale(' + s + ')">'];
    asset.c.forEach(function (c) {
      parts.push('<path d="' + c[1] + '" data-c="' + c[0] + '" class="lv-' +
                 (data.l[c[0]] || "l") + (inner[c[0]] ? " inner" : "") + '"/>');
    });
    parts.push("</g>");
    fineLayer.innerHTML = parts.join("");
    outlineLayer.innerHTML = '<g transform="scale(' + s + ')"><path d="' + asset.o + '"/></g>';
    (state.byProvince[province] || []).forEach(function (code) {
      state.paths[code].classList.add("here");
    });
    el.dataset.zoomed = province;
  }

  function zoom(province, push) {
    if (!state.byProvince[province]) { return; }
    if (state.province) { clearProvince(); }
    state.province = province;
    el.classList.add("zoomed");
    setView(padded(state.outlines[province].getBBox(), 0.04));
    back.hidden = false;
    if (pick) { pick.value = province; }
    if (push) {
      history.pushState({province: province}, "", pageUrl(province));
      refreshPanel(province);
    }
    var cached = state.fine[province];
    if (cached) { showFine(province, cached); return; }
    fetch(cfg.provinceBase + province + ".json")
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
      .then(function (asset) { state.fine[province] = asset; showFine(province, asset); })
      .catch(function () { el.dataset.zoomed = province; });  // the national outlines stay
  }

  function clearProvince() {
    (state.byProvince[state.province] || []).forEach(function (code) {
      state.paths[code].classList.remove("here");
    });
    fineLayer.innerHTML = "";
    outlineLayer.innerHTML = "";
  }

  function unzoom(push) {
    if (state.province) { clearProvince(); }
    state.province = "";
    el.classList.remove("zoomed");
    delete el.dataset.zoomed;
    setView(state.home);
    back.hidden = true;
    if (pick) { pick.value = ""; }
    if (push) {
      history.pushState({province: ""}, "", pageUrl(""));
      refreshPanel("");
    }
  }

  // --- the tooltip -------------------------------------------------------------------------

  function hideTip() {
    tip.hidden = true;
    var old = svg && svg.querySelector("path.hover");
    if (old) { old.classList.remove("hover"); }
  }

  function showTip(target, clientX, clientY) {
    var code = target.getAttribute("data-c");
    var province = target.getAttribute("data-p");
    hideTip();
    tip.textContent = "";
    var title = document.createElement("strong");
    title.textContent = code ? state.names[code] : state.provinceNames[province];
    tip.appendChild(title);
    tip.appendChild(document.createElement("br"));
    if (code) {
      var level = levelOf(code);
      var badge = document.createElement("span");
      badge.className = "lv lv-" + level;
      badge.textContent = cfg["t" + level.charAt(0).toUpperCase() + level.slice(1)];
      tip.appendChild(badge);
      if (since[code]) {
        tip.appendChild(document.createTextNode(cfg.tSince.replace("{day}", since[code])));
      }
      if (inner[code]) {
        tip.appendChild(document.createElement("br"));
        tip.appendChild(document.createTextNode(cfg.tInner));
      }
      target.classList.add("hover");
      tip.dataset.code = code;
    } else {
      tip.appendChild(document.createTextNode(cfg.tNodata));
      tip.dataset.code = province;
    }
    tip.hidden = false;
    var r = wrap.getBoundingClientRect();
    var x = clientX - r.left + 12, y = clientY - r.top + 12;
    var w = tip.offsetWidth, h = tip.offsetHeight;
    if (x + w > r.width - 4) { x = Math.max(4, clientX - r.left - w - 12); }
    if (y + h > r.height - 4) { y = Math.max(4, clientY - r.top - h - 12); }
    tip.style.left = x + "px";  // CSSOM, not a style attribute: allowed by the CSP
    tip.style.top = y + "px";
  }

  // --- pointer: hover, tap, drag, pinch, wheel ----------------------------------------------

  function toSvg(clientX, clientY) {
    var r = svg.getBoundingClientRect();
    var v = state.view;
    var scale = Math.max(v[2] / r.width, v[3] / r.height);
    var ox = r.left + (r.width - v[2] / scale) / 2, oy = r.top + (r.height - v[3] / scale) / 2;
    return [v[0] + (clientX - ox) * scale, v[1] + (clientY - oy) * scale, scale];
  }

  function zoomAt(clientX, clientY, factor) {
    var p = toSvg(clientX, clientY), v = state.view;
    var w = Math.min(Math.max(v[2] * factor, state.home[2] / 40), state.home[2] * 1.2);
    var k = w / v[2];
    setView([p[0] - (p[0] - v[0]) * k, p[1] - (p[1] - v[1]) * k, w, v[3] * k]);
  }

  function bind() {
    var pointers = {}, drag = null, moved = false;
    svg.addEventListener("pointermove", function (e) {
      if (pointers[e.pointerId]) {
        var prev = pointers[e.pointerId];
        pointers[e.pointerId] = [e.clientX, e.clientY];
        var ids = Object.keys(pointers);
        if (ids.length === 2) {
          var a = pointers[ids[0]], b = pointers[ids[1]];
          var other = ids[0] === String(e.pointerId) ? b : a;
          var before = Math.hypot(prev[0] - other[0], prev[1] - other[1]);
          var after = Math.hypot(a[0] - b[0], a[1] - b[1]);
          if (before > 0 && after > 0) {
            zoomAt((a[0] + b[0]) / 2, (a[1] + b[1]) / 2, before / after);
          }
          moved = true;
          return;
        }
        if (drag && (moved || Math.hypot(e.clientX - drag[0], e.clientY - drag[1]) > 6)) {
          moved = true;
          var s = toSvg(e.clientX, e.clientY)[2], v = state.view;
          setView([v[0] - (e.clientX - prev[0]) * s, v[1] - (e.clientY - prev[1]) * s,
                   v[2], v[3]]);
          hideTip();
          return;
        }
      }
      if (e.pointerType === "mouse" && e.target.hasAttribute &&
          (e.target.hasAttribute("data-c") || e.target.hasAttribute("data-p"))) {
        showTip(e.target, e.clientX, e.clientY);
      } else if (e.pointerType === "mouse") {
        hideTip();
      }
    });
    svg.addEventListener("pointerdown", function (e) {
      pointers[e.pointerId] = [e.clientX, e.clientY];
      if (Object.keys(pointers).length === 1) { drag = [e.clientX, e.clientY]; moved = false; }
    });
    function release(e) {
      delete pointers[e.pointerId];
      if (!Object.keys(pointers).length) { drag = null; }
    }
    svg.addEventListener("pointerup", release);
    svg.addEventListener("pointercancel", release);
    svg.addEventListener("pointerleave", function (e) {
      release(e);
      if (e.pointerType === "mouse") { hideTip(); }
    });
    svg.addEventListener("click", function (e) {
      if (moved) { moved = false; return; }
      var code = e.target.getAttribute && e.target.getAttribute("data-c");
      var nodata = e.target.getAttribute && e.target.getAttribute("data-p");
      if (!code && !nodata) { hideTip(); return; }
      showTip(e.target, e.clientX, e.clientY);
      if (code && code.slice(0, 2) !== state.province) { zoom(code.slice(0, 2), true); }
    });
    svg.addEventListener("wheel", function (e) {
      e.preventDefault();
      zoomAt(e.clientX, e.clientY, Math.exp(e.deltaY * 0.0015));
    }, {passive: false});
    back.addEventListener("click", function () { hideTip(); unzoom(true); });
    if (pick) {
      pick.addEventListener("change", function () {
        hideTip();
        if (pick.value) { zoom(pick.value, true); } else { unzoom(true); }
      });
    }
    window.addEventListener("popstate", function () {
      var m = /\/([0-9]{2})\/$/.exec(location.pathname);
      hideTip();
      if (m) { zoom(m[1], false); } else { unzoom(false); }
      refreshPanel(m ? m[1] : "");
    });
    window.addEventListener("resize", function () { if (state.view) { setView(state.view); } });
    if (panel) {
      panel.addEventListener("click", function (e) {
        var link = e.target.closest && e.target.closest("[data-province-link]");
        if (link && state.byProvince[link.dataset.provinceLink]) {
          e.preventDefault();
          zoom(link.dataset.provinceLink, true);
          el.scrollIntoView({block: "nearest"});
        }
      });
    }
  }

  fetch(cfg.map)
    .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
    .then(draw)
    .catch(function () { el.textContent = cfg.tFailed; el.dataset.rendered = "error"; });
}());
