// Pictor — /generations/{id} while the job is queued or running: poll the JSON API and reload
// the page once the image is finished (or failed). Without JavaScript a <noscript> meta refresh
// does the same job. No framework, no inline handlers; loaded with `defer` only while pending.
(function () {
  "use strict";

  var POLL_MS = 1500;
  var GIVE_UP_MS = 5 * 60 * 1000;

  var view = document.querySelector("[data-generation-id][data-status]");
  if (!view) return;
  var status = view.getAttribute("data-status");
  if (status !== "queued" && status !== "running") return;

  // Very old browser: fall back to what the no-JS page does.
  if (!window.fetch) {
    window.setTimeout(function () { window.location.reload(); }, 3000);
    return;
  }

  var id = view.getAttribute("data-generation-id");
  var url = view.getAttribute("data-api-url") || "/api/v1/generations/" + encodeURIComponent(id);
  var started = Date.now();

  var labels = { queued: "Waiting", running: "Being drawn", succeeded: "Ready", failed: "Failed" };

  function showStatus(next) {
    if (next === status) return;
    status = next;
    view.setAttribute("data-status", next); // CSS swaps "Queued…" for "Drawing…"
    var badges = document.querySelectorAll("[data-status-badge]");
    for (var i = 0; i < badges.length; i++) {
      var badge = badges[i];
      badge.className = "status status-" + next;
      badge.lastChild.nodeValue = labels[next] || next;
    }
  }

  function giveUp() {
    var note = document.querySelector("[data-poll-timeout]");
    if (note) note.hidden = false;
  }

  function schedule() {
    if (Date.now() - started >= GIVE_UP_MS) {
      giveUp();
      return;
    }
    window.setTimeout(poll, POLL_MS);
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" }, cache: "no-store" })
      .then(function (response) {
        // Deleted meanwhile or signed out: let the server render the right page.
        if (response.status === 404 || response.status === 401) return { status: "gone" };
        if (!response.ok) return null;
        return response.json();
      })
      .then(function (data) {
        var next = data && data.status;
        if (next === "succeeded" || next === "failed" || next === "gone") {
          window.location.reload();
          return;
        }
        if (next === "queued" || next === "running") showStatus(next);
        schedule();
      })
      .catch(function () {
        schedule(); // network hiccup: keep trying until the deadline
      });
  }

  schedule();
})();
