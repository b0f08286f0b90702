// Refresh the progress bars of running jobs in the admin every two seconds.
(function () {
  "use strict";
  var ACTIVE = { queued: 1, running: 1, paused: 1 };

  function activeBars() {
    return Array.prototype.filter.call(
      document.querySelectorAll(".job-progress[data-job-id]"),
      function (bar) { return ACTIVE[bar.dataset.state]; }
    );
  }

  function refresh() {
    var bars = activeBars();
    if (!bars.length) return;
    var query = bars.map(function (bar) { return "id=" + bar.dataset.jobId; }).join("&");
    var base = window.location.pathname.replace(/\/\d+\/change\/$/, "/").replace(/\/$/, "/");
    fetch(base.replace(/reprocessjob\/.*$/, "reprocessjob/") + "progress/?" + query,
          { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : {}; })
      .then(function (data) {
        bars.forEach(function (bar) {
          var progress = data[bar.dataset.jobId];
          if (!progress) return;
          bar.dataset.state = progress.state;
          var meter = bar.querySelector("progress");
          meter.max = Math.max(progress.total, 1);
          meter.value = progress.processed;
          bar.querySelector(".job-progress__text").textContent =
            progress.processed + " / " + progress.total + " (" + progress.percent + "%), " +
            progress.failed + " failed, " + progress.docs_per_second + " docs/s" +
            (progress.eta_seconds !== null ? ", ETA " + Math.round(progress.eta_seconds) + "s" : "") +
            (ACTIVE[progress.state] ? "" : " — " + progress.state);
        });
      })
      .catch(function () {});
  }

  window.setInterval(refresh, 2000);
})();
