// The add-exposure form: dates outside the exposure window, or an end before the start, are
// named under their field as soon as they are typed (the server checks the same rules and
// answers 422 with the same messages when the script does not run).
(function () {
  "use strict";

  function setup() {
    var form = document.getElementById("exposure-form");
    if (!form) { return; }
    var D = form.dataset;
    var start = form.elements.namedItem("started_on");
    var end = form.elements.namedItem("ended_on");
    var startError = document.getElementById("start-error");
    var endError = document.getElementById("end-error");

    function inside(value) { return value >= D.windowStart && value <= D.windowEnd; }

    function show(input, span, message) {
      span.textContent = message;
      if (message) { input.setAttribute("aria-invalid", "true"); }
      else { input.removeAttribute("aria-invalid"); }
    }

    function check(submitting) {
      var s = start.value, e = end.value, ok = true;
      var sMsg = "", eMsg = "";
      if (!s && submitting) { sMsg = D.msgRequired; }
      else if (s && !inside(s)) { sMsg = D.msgStart; }
      if (!e && submitting) { eMsg = D.msgRequired; }
      else if (e && !inside(e)) { eMsg = D.msgEnd; }
      else if (s && e && e < s) { eMsg = D.msgOrder; }
      if (sMsg || eMsg) { ok = false; }
      show(start, startError, sMsg);
      show(end, endError, eMsg);
      return ok;
    }

    start.addEventListener("input", function () { check(false); });
    end.addEventListener("input", function () { check(false); });
    start.addEventListener("change", function () {
      if (start.value && !end.value) { end.value = start.value; }
      check(false);
    });
    end.addEventListener("change", function () { check(false); });
    form.addEventListener("submit", function (event) {
      if (!check(true)) { event.preventDefault(); }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setup);
  } else {
    setup();
  }
})();
