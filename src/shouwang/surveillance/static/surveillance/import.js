// The import wizard while a batch's job runs (and the export page while its job runs): poll the
// batch (/api/v1/surveillance/imports/{id}) or the job (/api/v1/jobs/{id}), move the progress
// bar, and reload the page (which then shows the result) once the job has finished.
// Texts come from data attributes the template renders in the page's language.
(function () {
  "use strict";
  var POLL_MS = 1000;

  function start() {
    var box = document.querySelector("[data-status-url]");
    if (!box) { return; }
    var bar = box.querySelector("progress");
    var text = box.querySelector(".progress-text");

    function show(data) {
      // A job from the jobs API carries its progress itself; a batch carries its job.
      var isJob = Object.prototype.hasOwnProperty.call(data, "progress_done");
      var job = isJob ? data : (data.job || {});
      var batch = isJob ? {} : data;
      if (isJob) {
        batch.percent = job.status === "succeeded" ? 100 :
          (job.progress_total ? Math.min(100, Math.floor(job.progress_done * 100 / job.progress_total)) : 0);
      }
      if (typeof batch.percent === "number" && bar) {
        bar.value = batch.percent;
        bar.textContent = batch.percent + "%";
      }
      if (text) {
        if (job.status === "queued") {
          text.textContent = box.getAttribute("data-text-queued");
        } else {
          text.textContent = box.getAttribute("data-text-progress")
            .replace("{done}", String(job.progress_done || 0))
            .replace("{total}", job.progress_total == null ? "?" : String(job.progress_total));
        }
      }
      var finished = job.status === "succeeded" || job.status === "failed" ||
        batch.status === "done" || batch.status === "failed";
      if (finished) {
        window.location.reload();
        return;
      }
      window.setTimeout(poll, POLL_MS);
    }

    function poll() {
      fetch(box.getAttribute("data-status-url"), {
        credentials: "same-origin", headers: { Accept: "application/json" }
      }).then(function (response) {
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.json();
      }).then(show).catch(function () {
        if (text) { text.textContent = box.getAttribute("data-text-failed"); }
        window.setTimeout(poll, POLL_MS * 3);
      });
    }

    window.setTimeout(poll, POLL_MS);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else { start(); }
})();
