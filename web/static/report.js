// The report page's uploads: each file chosen is checked against the published limits, sent in
// parts through the resumable upload (tus 1.0) with a progress bar, and sent on from where it
// stopped after a lost connection (a failed part is tried again, after asking the server how
// much arrived). Without this script the page's plain "Send" buttons do the same in one go.
(function () {
  "use strict";

  var PART = 4 * 1024 * 1024;
  var TRIES = 6;

  function megabytes(bytes) {
    var mb = bytes / 1000000;
    return mb >= 10 ? String(Math.round(mb)) : mb.toFixed(1);
  }

  function sleep(ms) {
    return new Promise(function (resolve) { setTimeout(resolve, ms); });
  }

  // One request; resolves with the finished request whatever its status, rejects when the
  // connection fails.
  function request(method, url, headers, body, onProgress) {
    return new Promise(function (resolve, reject) {
      var xhr = new XMLHttpRequest();
      xhr.open(method, url);
      Object.keys(headers).forEach(function (name) { xhr.setRequestHeader(name, headers[name]); });
      if (onProgress && xhr.upload) {
        xhr.upload.onprogress = function (e) { onProgress(e.loaded); };
      }
      xhr.onload = function () { resolve(xhr); };
      xhr.onerror = function () { reject(new Error("connection")); };
      xhr.ontimeout = function () { reject(new Error("connection")); };
      xhr.send(body);
    });
  }

  // The problem's words, as the service wrote them for the shopper.
  function problem(xhr) {
    try {
      var p = JSON.parse(xhr.responseText);
      var fields = (p.errors || []).map(function (e) { return e.message; }).join(" ");
      return fields || p.detail || "The file was not sent.";
    } catch (e) {
      if (xhr.responseURL && xhr.responseURL.indexOf("/signin") !== -1) {
        return "You were signed out. Sign in again, then choose the file again: it goes on where it stopped.";
      }
      return "The file was not sent (the service answered " + xhr.status + "). Try again.";
    }
  }

  function send(box, file, csrf) {
    var bar = document.createElement("div");
    bar.className = "progress";
    var meter = document.createElement("progress");
    meter.max = 100;
    meter.value = 0;
    var words = document.createElement("span");
    words.setAttribute("role", "status");
    bar.appendChild(meter);
    bar.appendChild(document.createTextNode(" "));
    bar.appendChild(words);
    box.appendChild(bar);
    var name = file.name || "file";
    function say(text, done) {
      words.textContent = name + ": " + text;
      if (done !== undefined) {
        bar.classList.add(done ? "done" : "failed");
      }
    }

    var max = Number(box.getAttribute("data-max-bytes"));
    if (file.size === 0) {
      say("this file is empty. Choose the photo or recording again.", false);
      return Promise.resolve();
    }
    if (max && file.size > max) {
      say("this file is " + megabytes(file.size) + " MB; the limit is " + megabytes(max) + " MB.", false);
      return Promise.resolve();
    }
    var tus = { "Tus-Resumable": "1.0.0", "X-CSRF-Token": csrf };
    var remembered = "upload|" + box.getAttribute("data-assignment") + "|" +
      box.getAttribute("data-question") + "|" + name + "|" + file.size + "|" + file.lastModified;
    var location = null;
    try { location = window.localStorage.getItem(remembered); } catch (e) { location = null; }
    // Whether the service has the whole file, checked and stored (it names it then).
    var finished = false;
    var mediaId = "";
    function note(xhr) {
      if (xhr.getResponseHeader("Incognito-Media-Id")) {
        finished = true;
        mediaId = xhr.getResponseHeader("Incognito-Media-Id");
      }
    }

    function created() {
      if (location) {
        return Promise.resolve();
      }
      var headers = Object.assign({}, tus, {
        "Upload-Length": String(file.size),
        "Upload-Metadata": "question " + btoa(box.getAttribute("data-question"))
      });
      return request("POST", box.getAttribute("data-uploads"), headers, null).then(function (xhr) {
        if (xhr.status !== 201) {
          throw { final: problem(xhr) };
        }
        location = xhr.getResponseHeader("Location");
        try { window.localStorage.setItem(remembered, location); } catch (e) { /* private mode */ }
      });
    }

    function where() {
      return request("HEAD", location, tus, null).then(function (xhr) {
        if (xhr.status === 404) {
          // Gone (given up, or kept past a day): start again.
          location = null;
          try { window.localStorage.removeItem(remembered); } catch (e) { /* private mode */ }
          return created().then(function () { return 0; });
        }
        if (xhr.status !== 200) {
          throw { final: problem(xhr) };
        }
        note(xhr);
        return Number(xhr.getResponseHeader("Upload-Offset"));
      });
    }

    function show(offset) {
      var percent = Math.floor((offset / file.size) * 100);
      meter.value = percent;
      say(percent + "% sent");
    }

    // Sends from `offset` on; once every byte is in and the service has not stored the file
    // yet (it failed on its side), an empty part at the end asks it to try again.
    function parts(offset, tries) {
      if (finished) {
        meter.value = 100;
        say("sent.", true);
        try { window.localStorage.removeItem(remembered); } catch (e) { /* private mode */ }
        return Promise.resolve();
      }
      show(offset);
      var end = Math.min(offset + PART, file.size);
      var headers = Object.assign({}, tus, {
        "Upload-Offset": String(offset),
        "Content-Type": "application/offset+octet-stream"
      });
      return request("PATCH", location, headers, file.slice(offset, end), function (loaded) {
        show(offset + loaded);
      }).then(function (xhr) {
        if (xhr.status === 204) {
          note(xhr);
          return parts(Number(xhr.getResponseHeader("Upload-Offset")), 0);
        }
        if (xhr.status === 409 || xhr.status === 423 || xhr.status >= 500) {
          throw { retry: true };
        }
        try { window.localStorage.removeItem(remembered); } catch (e) { /* private mode */ }
        throw { final: problem(xhr) };
      }).catch(function (failure) {
        if (failure && failure.final) {
          throw failure;
        }
        if (tries >= TRIES) {
          throw { final: "the connection keeps failing. What arrived is kept for a day: choose the file again to go on from there." };
        }
        var wait = Math.min(30, Math.pow(2, tries));
        say("connection lost; trying again in " + wait + " s…");
        return sleep(wait * 1000).then(where).then(function (at) {
          return parts(at, tries + 1);
        }, function (again) {
          if (again && again.final) {
            throw again;
          }
          return parts(offset, tries + 1);
        });
      });
    }

    say("starting…");
    return created()
      .then(function () { return location ? where() : 0; })
      .then(function (offset) { return parts(offset, 0); })
      .then(function () {
        var list = box.parentNode.querySelector("ul.files");
        if (list) {
          var item = document.createElement("li");
          item.textContent = name + " (just sent)";
          item.setAttribute("data-media", mediaId);
          list.appendChild(item);
        }
        // Conditions that read this question's files (conditions.js) look again.
        document.dispatchEvent(new CustomEvent("incognito:file-sent"));
      })
      .catch(function (failure) {
        say(failure && failure.final ? failure.final : "the file was not sent. Try again.", false);
      });
  }

  // The draft saves itself a moment after each change, so that nothing typed is lost when the
  // phone sleeps (questions that follow from the answers appear at once: conditions.js).
  var report = document.getElementById("report-form");
  var status = document.getElementById("autosave");
  if (report && status) {
    var timer = null;
    var saving = Promise.resolve();
    var save = function () {
      var data = new URLSearchParams(new FormData(report));
      data.set("action", "save");
      saving = saving.then(function () {
        // Not report.action: the buttons named "action" shadow it.
        return fetch(report.getAttribute("action"), {
          method: "POST",
          body: data,
          credentials: "same-origin",
          redirect: "manual"
        }).then(function (response) {
          status.hidden = false;
          var now = new Date();
          var at = String(now.getHours()).padStart(2, "0") + ":" + String(now.getMinutes()).padStart(2, "0");
          if (response.type === "opaqueredirect" || response.status === 303) {
            status.textContent = "Draft saved at " + at + ".";
          } else if (response.status === 422) {
            status.textContent = "Not saved yet: an answer needs a look. Press “Save the draft” to see which.";
          } else {
            status.textContent = "Not saved (the service answered " + response.status + "). Press “Save the draft”.";
          }
        }, function () {
          status.hidden = false;
          status.textContent = "Not saved: no connection. It is tried again at your next change.";
        });
      });
    };
    report.addEventListener("change", function (event) {
      if (event.target && event.target.type === "file") {
        return;
      }
      clearTimeout(timer);
      timer = setTimeout(save, 800);
    });
  }

  document.querySelectorAll(".upload[data-question]").forEach(function (box) {
    var input = box.querySelector("input[type=file]");
    var form = document.getElementById(input.getAttribute("form"));
    var csrf = form ? form.querySelector("input[name=csrf_token]").value : "";
    box.querySelectorAll("[data-without-script]").forEach(function (e) { e.hidden = true; });
    var hint = box.querySelector("[data-with-script]");
    if (hint) {
      hint.hidden = false;
    }
    input.addEventListener("change", function () {
      var files = Array.prototype.slice.call(input.files);
      input.value = "";
      files.reduce(function (previous, file) {
        return previous.then(function () { return send(box, file, csrf); });
      }, Promise.resolve());
    });
  });
})();
