// While a summary is pending, fetch the panel every few seconds and swap it in.
(function () {
  "use strict";
  var DELAY_MS = 3000;
  var MAX_POLLS = 400;

  function schedule(panel, polls) {
    var url = panel.getAttribute("data-poll-url");
    if (!url || polls >= MAX_POLLS || panel.dataset.polling === "1") return;
    panel.dataset.polling = "1";
    window.setTimeout(function () {
      fetch(url, { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
        .then(function (response) { return response.ok ? response.text() : null; })
        .then(function (html) {
          panel.dataset.polling = "";
          if (html === null) return;
          var holder = document.createElement("div");
          holder.innerHTML = html;
          var fresh = holder.querySelector(".summary-panel");
          if (!fresh) return;
          panel.replaceWith(fresh);
          schedule(fresh, polls + 1);
        })
        .catch(function () { panel.dataset.polling = ""; schedule(panel, polls + 1); });
    }, DELAY_MS);
  }

  function start() {
    document.querySelectorAll(".summary-panel[data-poll-url]").forEach(function (panel) {
      schedule(panel, 0);
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
