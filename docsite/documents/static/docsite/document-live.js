// While background work is pending (analysis, summary, related documents),
// fetch the page's live parts every few seconds and swap in those that were
// pending, so statuses change without a reload. Boxes that never wait (the
// reader's buttons) are left alone, with their state and listeners.
(function () {
  "use strict";
  var DELAY_MS = 2500;
  var MAX_POLLS = 240;  // ten minutes

  function swap(element, html) {
    var holder = document.createElement("div");
    holder.innerHTML = html.trim();
    var fresh = holder.firstElementChild;
    if (fresh) element.replaceWith(fresh);
  }

  function poll(article, polls) {
    if (polls >= MAX_POLLS) return;
    window.setTimeout(function () {
      fetch(article.dataset.liveUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (data) {
          if (!data) return poll(article, polls + 1);
          var meta = document.getElementById("document-meta");
          if (meta && meta.hasAttribute("data-pending")) swap(meta, data.meta);
          Object.keys(data.panels).forEach(function (slug) {
            var box = document.getElementById("panel-" + slug);
            if (box && box.hasAttribute("data-pending")) swap(box, data.panels[slug]);
          });
          if (data.pending) poll(article, polls + 1);
          else article.removeAttribute("data-pending");
        })
        .catch(function () { poll(article, polls + 1); });
    }, DELAY_MS);
  }

  function start() {
    var article = document.querySelector("article[data-live-url][data-pending]");
    if (article) poll(article, 0);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
