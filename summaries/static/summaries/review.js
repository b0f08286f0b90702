// The review page's keys and guards. Keys are handled here (keydown), not with
// accesskey, whose modifier differs per browser and platform: a / r / g when
// the focus is not in a text field, Alt+A / Alt+R anywhere (matched by
// physical key, since Alt changes the character on macOS).
(function () {
  "use strict";
  var box = document.querySelector("[data-review]");
  if (!box) return;
  var reasonBox = box.querySelector("[data-review-reason]");
  var reason = reasonBox && reasonBox.querySelector("textarea");
  var buttons = {};
  box.querySelectorAll("button[data-review-key]").forEach(function (button) {
    buttons[button.dataset.reviewKey] = button;
  });

  // Reject needs a reason: the first press asks for it.
  var reject = box.querySelector("[data-review-reject]");
  if (reject) {
    reject.addEventListener("click", function (event) {
      if (reason.value.trim()) return;
      event.preventDefault();
      reasonBox.hidden = false;
      reason.required = true;
      reason.focus();
    });
  }
  // Approving what was rejected asks first.
  box.querySelectorAll("button[data-confirm]").forEach(function (button) {
    button.addEventListener("click", function (event) {
      if (!window.confirm(button.dataset.confirm)) event.preventDefault();
    });
  });

  function typing(target) {
    var tag = target && target.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || (target && target.isContentEditable);
  }

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey) return;
    var key = null;
    if (event.altKey && !event.shiftKey) {
      key = { KeyA: "a", KeyR: "r" }[event.code] || null;
    } else if (!event.altKey && !typing(event.target)) {
      key = event.key && event.key.toLowerCase();
    }
    var button = key && buttons[key];
    if (!button) return;
    event.preventDefault();
    button.click();
  });
})();
