// Report-due tasks: the countdown to each deadline, refreshed every half minute.
(function () {
  "use strict";
  function init() {
    var table = document.querySelector("[data-testid=task-table]");
    if (!table) { return; }
    var started = Date.now();
    var left = table.getAttribute("data-msg-left");
    var over = table.getAttribute("data-msg-over");
    var h = table.getAttribute("data-msg-h");
    var m = table.getAttribute("data-msg-m");
    function tick() {
      var elapsed = Math.floor((Date.now() - started) / 1000);
      table.querySelectorAll("[data-countdown]").forEach(function (el) {
        var s = parseInt(el.getAttribute("data-countdown"), 10) - elapsed;
        var abs = Math.abs(s);
        var text = Math.floor(abs / 3600) + " " + h + " " + Math.floor((abs % 3600) / 60) + " " + m;
        el.textContent = (s < 0 ? over : left) + " " + text;
        el.classList.toggle("overdue", s < 0);
        el.classList.toggle("pending", s >= 0);
      });
    }
    tick();
    window.setInterval(tick, 30000);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else { init(); }
})();
