// Records what a reader does: dwell time when the page is hidden (a beacon,
// which survives the page closing), like/bookmark/dismiss clicks, and clicks
// on search results. Every request carries the CSRF token.
(function () {
  "use strict";

  function send(api, token, fields, useBeacon) {
    var form = new FormData();
    form.append("csrfmiddlewaretoken", token);
    Object.keys(fields).forEach(function (key) { form.append(key, fields[key]); });
    if (useBeacon && navigator.sendBeacon) {
      return Promise.resolve(navigator.sendBeacon(api, form));
    }
    return fetch(api, {
      method: "POST", body: form, credentials: "same-origin",
      headers: { "X-CSRFToken": token }, keepalive: true
    }).then(function (response) { return response.status === 201 || response.status === 200; });
  }

  function watchDwell(box) {
    var api = box.dataset.interestsApi, token = box.dataset.csrfToken;
    var documentId = box.dataset.interestsDocument;
    var shownAt = document.visibilityState === "visible" ? Date.now() : null;
    // Opened from the For you feed: the first reading report says so (a click
    // that trains the feed's ranker).
    var source = /[?&]via=feed(&|$)/.test(window.location.search) ? "feed" : "";
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "hidden" && shownAt !== null) {
        var seconds = Math.round((Date.now() - shownAt) / 1000);
        shownAt = null;
        var fields = { document: documentId, kind: "view", dwell_seconds: seconds };
        if (source) { fields.source = source; source = ""; }
        send(api, token, fields, true);
      } else if (document.visibilityState === "visible") {
        shownAt = Date.now();
      }
    });
  }

  // Like, Bookmark and Not for me are toggles: a press on a pressed button
  // undoes it (DELETE), so a reader can take back a click.
  var DONE = { like: "Liked", bookmark: "Bookmarked", dismiss: "Marked not for you" };
  var UNDONE = { like: "Like removed", bookmark: "Bookmark removed", dismiss: "Back in your feed" };

  function undo(api, token, fields) {
    var query = new URLSearchParams(fields).toString();
    return fetch(api + "?" + query, {
      method: "DELETE", credentials: "same-origin", headers: { "X-CSRFToken": token }
    }).then(function (response) { return response.status === 204; });
  }

  function wireButtons(box) {
    var status = box.querySelector(".reader-actions__status");
    box.querySelectorAll("button[data-interests-kind]").forEach(function (button) {
      button.addEventListener("click", function () {
        var kind = button.dataset.interestsKind;
        var pressed = button.getAttribute("aria-pressed") === "true";
        var fields = { document: box.dataset.interestsDocument, kind: kind };
        button.disabled = true;
        var request = pressed
          ? undo(box.dataset.interestsApi, box.dataset.csrfToken, fields)
          : send(box.dataset.interestsApi, box.dataset.csrfToken, fields, false);
        request
          .then(function (ok) {
            button.disabled = false;
            if (ok) {
              button.setAttribute("aria-pressed", pressed ? "false" : "true");
              var label = pressed ? button.dataset.labelOff : button.dataset.labelOn;
              button.textContent = label;
              if (button.dataset.title) button.setAttribute("aria-label", label + ": " + button.dataset.title);
            }
            if (status) {
              status.textContent = !ok ? "Could not save that."
                : pressed ? UNDONE[kind] + "." : DONE[kind] + " — press again to undo.";
            }
          })
          .catch(function () {
            button.disabled = false;
            if (status) status.textContent = "Could not save that.";
          });
      });
    });
  }

  function wireSearchClicks(list) {
    list.addEventListener("click", function (event) {
      var link = event.target.closest("a[data-interests-search-click]");
      if (!link) return;
      send(list.dataset.interestsApi, list.dataset.csrfToken, {
        document: link.dataset.interestsSearchClick, kind: "search_click",
        query: list.dataset.interestsQuery
      }, true);
    });
  }

  function start() {
    document.querySelectorAll(".reader-actions[data-interests-document]").forEach(function (box) {
      if (box.dataset.wired) return;
      box.dataset.wired = "1";
      // Lists (My activity, Bookmarks) carry undo buttons but are not reading.
      if (!box.hasAttribute("data-interests-no-dwell")) watchDwell(box);
      wireButtons(box);
    });
    document.querySelectorAll(".search-results[data-interests-api]").forEach(wireSearchClicks);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
