// The report card form: instant validation by the server's own rules, the division pickers,
// the disease's class and deadline, the origin fields of an imported case, one submit only.
// A static file (the CSP forbids inline scripts); every text it shows comes from the page.
(function () {
  "use strict";
  var DEBOUNCE_MS = 300;

  function csrf() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  // --- division pickers -------------------------------------------------------------------
  function picker(root) {
    var input = root.querySelector("input[data-field]");
    var holder = root.querySelector("[data-selects]");
    var url = root.getAttribute("data-children-url");
    var placeholder = root.getAttribute("data-placeholder") || "—";
    var top = root.getAttribute("data-root");
    var path = (root.getAttribute("data-path") || "").split(",").filter(Boolean);

    // A user's choice starts a new generation: answers to older requests (the opening chain,
    // an earlier choice) arrive too late to matter and are dropped.
    var generation = 0;

    function load(parent, depth, chosen, gen) {
      return fetch(url.replace("CODE", encodeURIComponent(parent)), {
        credentials: "same-origin", headers: { "Accept": "application/json" }
      }).then(function (r) { return r.ok ? r.json() : []; }).then(function (items) {
        if (gen !== generation) { return; }
        // Drop the selects below this level, then add this one when there is a level below.
        while (holder.children.length > depth) { holder.removeChild(holder.lastChild); }
        if (!items.length) { return; }
        var select = document.createElement("select");
        select.setAttribute("aria-label", placeholder);
        select.setAttribute("data-parent", parent);
        var none = document.createElement("option");
        none.value = ""; none.textContent = placeholder;
        select.appendChild(none);
        items.forEach(function (d) {
          var o = document.createElement("option");
          o.value = d.code; o.textContent = d.name;
          if (d.code === chosen) { o.selected = true; }
          select.appendChild(o);
        });
        holder.appendChild(select);
        select.addEventListener("change", function () {
          generation += 1;
          var code = select.value || select.getAttribute("data-parent");
          input.value = code === top && top === "000000" ? "" : code;
          input.dispatchEvent(new Event("change", { bubbles: true }));
          while (holder.children.length > depth + 1) { holder.removeChild(holder.lastChild); }
          if (select.value) { load(select.value, depth + 1, null, generation); }
        });
      });
    }

    // Open at the current value: each level of its path below the root is selected in turn.
    var start = path.indexOf(top);
    var below = start >= 0 ? path.slice(start + 1) : [];
    var chain = load(top, 0, below[0] || null, 0);
    below.forEach(function (code, i) {
      chain = chain.then(function () {
        return generation === 0 ? load(code, i + 1, below[i + 1] || null, 0) : null;
      });
    });
    chain.then(function () { root.setAttribute("data-ready", "true"); });
    // A code typed by hand closes the selects below the root; they reopen from the next choice.
    input.addEventListener("input", function () {
      generation += 1;
      while (holder.children.length > 1) { holder.removeChild(holder.lastChild); }
      if (holder.firstChild) { holder.firstChild.value = ""; }
    });
  }

  // GB 11643: the 18th character is the check of the first 17 (the server checks it too; here
  // it only keeps a mistyped number from filling in a wrong birth date).
  var WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  function checkDigitOk(v) {
    if (!/^\d{17}[\dX]$/.test(v)) { return false; }
    var sum = 0;
    for (var i = 0; i < 17; i += 1) { sum += parseInt(v.charAt(i), 10) * WEIGHTS[i]; }
    return "10X98765432".charAt(sum % 11) === v.charAt(17);
  }

  // --- the form ---------------------------------------------------------------------------
  function setup(form) {
    var url = form.getAttribute("data-validate-url");
    var touched = {};
    var timer = null;
    var sequence = 0;
    var submitted = false;
    var status = form.querySelector("[data-validity]");

    function values() {
      var data = {};
      form.querySelectorAll("[data-field]").forEach(function (el) {
        if (el.disabled) { return; }
        if (el.type === "radio") {
          if (el.checked) { data[el.name] = el.value === "1"; }
        } else if (el.value !== "") {
          data[el.name] = el.value;
        }
      });
      return data;
    }

    function show(errors) {
      form.querySelectorAll("[data-error-for]").forEach(function (box) {
        var name = box.getAttribute("data-error-for");
        if (!touched[name] || name === "reason") { return; }
        var messages = errors[name] || [];
        box.textContent = messages.join(" ");
        box.hidden = messages.length === 0;
        var field = form.querySelector('[name="' + name + '"]:not([type=radio])');
        if (field) {
          if (messages.length) { field.setAttribute("aria-invalid", "true"); }
          else { field.removeAttribute("aria-invalid"); }
        }
      });
      if (status) {
        var open = Object.keys(errors).filter(function (k) { return touched[k]; }).length;
        status.textContent = open ? (form.getAttribute("data-msg-invalid") || "") : "";
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
        if (mine !== sequence || !answer) { return; }  // a newer check is on its way
        show(answer.errors || {});
        form.removeAttribute("data-validating");
      }).catch(function () { form.removeAttribute("data-validating"); });
    }

    function schedule(event) {
      var el = event.target;
      if (!el || !el.name) { return; }
      touched[el.name] = true;
      if (timer !== null) { window.clearTimeout(timer); }
      timer = window.setTimeout(function () { timer = null; validate(); }, DEBOUNCE_MS);
    }

    // Fields the server already marked are watched from the start, so fixing them clears them.
    form.querySelectorAll("[data-error-for]").forEach(function (box) {
      if (!box.hidden) { touched[box.getAttribute("data-error-for")] = true; }
    });
    form.addEventListener("focusout", function (e) {
      if (e.target.matches && e.target.matches("[data-field]")) { schedule(e); }
    });
    form.addEventListener("change", function (e) {
      if (e.target.matches && e.target.matches("[data-field]")) { schedule(e); }
    });

    // The disease's class and reporting deadline beside the choice.
    var disease = form.querySelector("#f-disease");
    var hint = form.querySelector("[data-disease-hint]");
    function showHint() {
      var o = disease && disease.options[disease.selectedIndex];
      if (hint) { hint.textContent = o ? (o.getAttribute("data-hint") || "") : ""; }
    }
    if (disease) { disease.addEventListener("change", showHint); showHint(); }

    // Origin fields only for an imported case.
    var origin = form.querySelector("[data-origin]");
    function showOrigin() {
      var yes = form.querySelector('input[name="imported"][value="1"]');
      var on = !!(yes && yes.checked);
      if (!origin) { return; }
      origin.hidden = !on;
      // Hidden fields are disabled too: neither checked nor posted for a local case.
      origin.querySelectorAll("input, select").forEach(function (el) { el.disabled = !on; });
    }
    form.querySelectorAll('input[name="imported"]').forEach(function (radio) {
      radio.addEventListener("change", showOrigin);
    });
    showOrigin();

    // A resident ID states the birth date and sex: fill them when still empty.
    var idNumber = form.querySelector("#f-id_number");
    var idType = form.querySelector("#f-id_type");
    if (idNumber) {
      idNumber.addEventListener("change", function () {
        var v = idNumber.value.trim().toUpperCase();
        if ((idType && idType.value !== "resident_id") || !checkDigitOk(v)) { return; }
        var birth = form.querySelector("#f-birth_date");
        var sex = form.querySelector("#f-sex");
        if (birth && !birth.value) {
          birth.value = v.slice(6, 10) + "-" + v.slice(10, 12) + "-" + v.slice(12, 14);
        }
        if (sex && sex.value === "U") { sex.value = parseInt(v.charAt(16), 10) % 2 ? "M" : "F"; }
      });
    }

    // One submit: the button stays disabled until the next page (the token makes a second
    // request harmless anyway).
    form.addEventListener("submit", function () {
      if (submitted) { return; }
      submitted = true;
      var button = form.querySelector("button[type=submit]");
      if (button) {
        window.setTimeout(function () {
          button.disabled = true;
          button.textContent = button.getAttribute("data-busy-label") || button.textContent;
        }, 0);
      }
    });
  }

  function init() {
    document.querySelectorAll("[data-picker]").forEach(picker);
    document.querySelectorAll("form[data-case-form]").forEach(setup);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else { init(); }
})();
