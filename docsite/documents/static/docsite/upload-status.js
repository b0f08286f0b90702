// While an upload is processing, ask for its status (JSON) instead of
// reloading the page; once it is read, go on to the document (whose page
// then fills in its analysis and summary), or show the refusal.
(function () {
  "use strict";
  var box = document.querySelector("[data-upload-page-url][data-upload-state=processing]");
  if (!box) return;
  var page = box.dataset.uploadPageUrl;
  var polls = 0;

  function check() {
    fetch(page, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (data && data.status !== "processing") {
          window.location.replace(page + (data.status === "ready" ? "?open=1" : ""));
        } else if (++polls < 300) {
          window.setTimeout(check, 1500);
        }
      })
      .catch(function () { if (++polls < 300) window.setTimeout(check, 3000); });
  }
  window.setTimeout(check, 800);
})();
