// Several files at once: chosen, dropped (files or folders) or picked as a
// folder. Each file is sent in its own request, asking for JSON, and gets its
// own line: processing, then ready (with a link) or refused (with the
// reason). One file chosen the plain way is sent by the form as before.
(function () {
  "use strict";

  var form = document.querySelector("form[data-upload-form]");
  if (!form) return;
  var fileInput = form.querySelector('input[type=file][multiple]:not([webkitdirectory])');
  var folderInput = form.querySelector("input[webkitdirectory]");
  var drop = form.querySelector("[data-upload-drop]");
  var panel = document.querySelector("[data-upload-progress]");
  var list = panel.querySelector("[data-upload-list]");
  var summary = panel.querySelector("[data-upload-summary]");
  var dropped = [];
  var POLL_MS = 2000;

  form.querySelector(".upload-drop__js").hidden = false;
  // A folder or dropped files are enough; the server still answers an empty form.
  fileInput.required = false;

  function visible(file) {
    var path = file.relativePath || file.webkitRelativePath || file.name;
    // Hidden files and folders (.git, .DS_Store) are not documents.
    return !path.split("/").some(function (part) { return part.charAt(0) === "."; });
  }

  function chosenFiles() {
    var files = Array.prototype.slice.call(fileInput.files || []);
    files = files.concat(Array.prototype.slice.call(folderInput.files || []), dropped);
    return files.filter(visible);
  }

  function line(file) {
    var item = document.createElement("li");
    item.className = "upload-result";
    var name = document.createElement("span");
    name.className = "upload-result__name";
    name.textContent = file.webkitRelativePath || file.relativePath || file.name;
    var badge = document.createElement("span");
    var detail = document.createElement("span");
    detail.className = "upload-result__reason";
    item.append(name, badge, detail);
    list.append(item);
    return { item: item, badge: badge, detail: detail };
  }

  function show(row, status, text, url) {
    row.item.dataset.status = status;
    row.badge.className = "badge " + ({ ready: "badge--done", refused: "badge--error" }[status] || "badge--pending");
    row.badge.textContent = { waiting: "Waiting", processing: "Processing…", ready: "Ready", refused: "Refused" }[status];
    row.detail.textContent = "";
    if (url) {
      var link = document.createElement("a");
      link.href = url;
      link.textContent = text;
      row.detail.append(link);
    } else if (text) {
      row.detail.textContent = text;
    }
  }

  function settle(row, result) {
    if (result.status === "processing" && result.status_url) {
      show(row, "processing", result.reason || "");
      return new Promise(function (resolve) { window.setTimeout(resolve, POLL_MS); })
        .then(function () {
          return fetch(result.status_url, { credentials: "same-origin", headers: { Accept: "application/json" } });
        })
        .then(function (response) { return response.json(); })
        .then(function (fresh) { return settle(row, Object.assign({}, result, fresh)); });
    }
    if (result.status === "ready") {
      show(row, "ready", result.title + (result.reason ? " — " + result.reason : ""), result.url);
    } else {
      show(row, "refused", result.reason || "The file could not be read.");
    }
    return Promise.resolve(result.status);
  }

  function send(file, row) {
    var body = new FormData();
    body.append("csrfmiddlewaretoken", form.querySelector("[name=csrfmiddlewaretoken]").value);
    body.append("space", form.querySelector("[name=space]").value);
    body.append("file", file, file.name);
    show(row, "processing", "");
    return fetch(form.action, {
      method: "POST", body: body, credentials: "same-origin",
      headers: { Accept: "application/json" }
    })
      .then(function (response) {
        if (response.status === 429) {
          // Over the upload rate limit: wait as told, then send it again.
          var wait = parseInt(response.headers.get("Retry-After"), 10) || 5;
          show(row, "waiting", "Waiting " + wait + " s (upload limit)…");
          return new Promise(function (resolve) { window.setTimeout(resolve, wait * 1000); })
            .then(function () { return send(file, row); });
        }
        return response.json().then(function (data) {
          if (data.files && data.files.length) return settle(row, data.files[0]);
          var errors = data.errors || {};
          var reason = Object.keys(errors).map(function (key) { return errors[key].join(" "); }).join(" ");
          return settle(row, { status: "refused", reason: reason || ("The server answered " + response.status + ".") });
        });
      })
      .catch(function () { return settle(row, { status: "refused", reason: "The upload was interrupted; try again." }); });
  }

  function uploadAll(files) {
    panel.hidden = false;
    list.textContent = "";
    var rows = files.map(function (file) { var row = line(file); show(row, "waiting", ""); return row; });
    var counts = { ready: 0, refused: 0 };
    summary.textContent = files.length + " file" + (files.length === 1 ? "" : "s") + " to upload…";
    // One at a time: each request only stores its file; a worker parses it.
    return files.reduce(function (chain, file, index) {
      return chain.then(function () {
        return send(file, rows[index]).then(function (status) {
          counts[status] = (counts[status] || 0) + 1;
          summary.textContent = counts.ready + " ready, " + counts.refused + " refused, " +
            (files.length - counts.ready - counts.refused) + " to go.";
        });
      });
    }, Promise.resolve()).then(function () {
      summary.textContent = "Done: " + counts.ready + " ready, " + counts.refused + " refused.";
      dropped = [];
      fileInput.value = "";
      folderInput.value = "";
    });
  }

  form.addEventListener("submit", function (event) {
    var files = chosenFiles();
    if (files.length <= 1 && !dropped.length && !(folderInput.files || []).length) return;
    event.preventDefault();
    uploadAll(files);
  });

  // Folders dropped on the zone are walked with the entries API.
  function walk(entry, prefix) {
    if (entry.isFile) {
      return new Promise(function (resolve) {
        entry.file(function (file) { file.relativePath = prefix + file.name; resolve([file]); },
                   function () { resolve([]); });
      });
    }
    if (!entry.isDirectory) return Promise.resolve([]);
    var reader = entry.createReader();
    return new Promise(function (resolve) {
      var all = [];
      (function more() {
        reader.readEntries(function (entries) {
          if (!entries.length) {
            Promise.all(all).then(function (lists) { resolve([].concat.apply([], lists)); });
            return;
          }
          entries.forEach(function (child) { all.push(walk(child, prefix + entry.name + "/")); });
          more();
        }, function () { resolve([]); });
      })();
    });
  }

  ["dragenter", "dragover"].forEach(function (type) {
    drop.addEventListener(type, function (event) {
      event.preventDefault();
      drop.classList.add("upload-drop--over");
    });
  });
  drop.addEventListener("dragleave", function () { drop.classList.remove("upload-drop--over"); });
  drop.addEventListener("drop", function (event) {
    event.preventDefault();
    drop.classList.remove("upload-drop--over");
    var transfer = event.dataTransfer;
    var items = Array.prototype.slice.call(transfer.items || []);
    var entries = items.map(function (item) { return item.webkitGetAsEntry && item.webkitGetAsEntry(); });
    var found = entries.every(Boolean)
      ? Promise.all(entries.map(function (entry) { return walk(entry, ""); }))
          .then(function (lists) { return [].concat.apply([], lists); })
      : Promise.resolve(Array.prototype.slice.call(transfer.files || []));
    found.then(function (files) {
      dropped = files;
      uploadAll(files.filter(visible));
    });
  });
})();
