// The line list: tick all rows of the page, count the ticked ones, and show the reclassify
// fields only for that action.
(function () {
  "use strict";

  function bulk(form) {
    var all = form.querySelector("[data-select-all]");
    var boxes = function () { return form.querySelectorAll('input[name="case_ids"]'); };
    var count = form.querySelector("[data-selected-count]");
    function update() {
      var n = 0;
      boxes().forEach(function (b) { if (b.checked) { n += 1; } });
      if (count) { count.textContent = n ? count.getAttribute("data-template").replace("N", n) : ""; }
    }
    if (all) {
      all.addEventListener("change", function () {
        boxes().forEach(function (b) { b.checked = all.checked; });
        update();
      });
    }
    form.addEventListener("change", update);
    var action = form.querySelector("[data-bulk-action]");
    function toggle() {
      form.querySelectorAll("[data-bulk-reclassify]").forEach(function (el) {
        el.hidden = !action || action.value !== "reclassify";
      });
    }
    if (action) { action.addEventListener("change", toggle); toggle(); }
  }

  function init() {
    document.querySelectorAll("form[data-bulk]").forEach(bulk);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else { init(); }
})();
