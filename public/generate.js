// Pictor — /generate. The form works without it; with it, what the form shows follows the choices:
//   • the size list offers only the sizes of the chosen model (its radio's data-sizes), keeping the
//     chosen size when the new model has it;
//   • the total (price × count) and the warning when the balance does not cover it;
//   • the prompt's character count, marked when over the limit (the server refuses, never cuts);
//   • the last request's images (li[data-result]) fill in as they are ready, polled from the JSON API
//     with the session cookie (without JavaScript a <noscript> refresh reloads the page instead).
// No framework, no inline handlers (strict CSP); loaded with `defer`.
(function () {
  "use strict";

  var labels = { queued: "Waiting", running: "Being drawn", succeeded: "Ready", failed: "Failed" };

  function fillResult(item, generation) {
    item.setAttribute("data-status", generation.status);
    var media = item.querySelector(".result-media");
    if (generation.status === "succeeded" && generation.thumbnail_large_url && media) {
      var image = new Image(512, 512);
      image.src = generation.thumbnail_large_url;
      image.alt = generation.prompt;
      media.replaceChildren(image);
    } else {
      var badge = item.querySelector("[data-result-status]");
      if (badge) {
        badge.className = "status status-" + generation.status;
        badge.textContent = labels[generation.status] || generation.status;
      }
    }
  }

  function pollResults() {
    var pending = Array.prototype.filter.call(document.querySelectorAll("li[data-result]"), function (item) {
      var status = item.getAttribute("data-status");
      return status === "queued" || status === "running";
    });
    if (!pending.length) return;
    Promise.all(pending.map(function (item) {
      return fetch("/api/v1/generations/" + encodeURIComponent(item.getAttribute("data-result")),
                   { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (generation) { if (generation) fillResult(item, generation); })
        .catch(function () { /* try again next round */ });
    })).then(function () { window.setTimeout(pollResults, 1500); });
  }
  pollResults();

  var form = document.querySelector("form.generate-form");
  if (!form) return;
  var size = form.querySelector("#gen-size");
  var count = form.querySelector("#gen-count");
  var cost = form.querySelector("#gen-cost");
  var warning = form.querySelector("[data-cost-warning]");
  var prompt = form.querySelector("#gen-prompt");
  var counter = form.querySelector("#gen-prompt-count");
  var credits = cost ? Number(cost.getAttribute("data-credits")) : 0;

  function chosenModel() { return form.querySelector("input[name=model]:checked"); }

  function plural(n, word) { return n + " " + word + (n === 1 ? "" : "s"); }

  function updateSizes() {
    var model = chosenModel();
    if (!model || !size) return;
    var current = size.value;
    var entries = (model.getAttribute("data-sizes") || "").split("|");
    while (size.options.length) size.remove(0);
    entries.forEach(function (entry) {
      var cut = entry.indexOf("=");
      if (cut < 0) return;
      var option = new Option(entry.slice(cut + 1), entry.slice(0, cut));
      option.selected = option.value === current;
      size.add(option);
    });
  }

  function updateTotal() {
    var model = chosenModel();
    if (!model || !cost) return;
    var price = Number(model.getAttribute("data-cost"));
    var images = Number(count ? count.value : 1);
    var total = price * images;
    cost.querySelector("[data-total]").textContent = plural(total, "credit");
    cost.querySelector("[data-breakdown]").textContent = "(" + plural(images, "image") + " × " + plural(price, "credit") + ")";
    if (warning) warning.hidden = total <= credits;
  }

  function updateCounter() {
    if (!prompt || !counter) return;
    var limit = Number(prompt.getAttribute("data-limit"));
    var length = Array.from(prompt.value.trim()).length;
    counter.textContent = length.toLocaleString("en") + " / " + limit.toLocaleString("en");
    counter.classList.toggle("is-over", length > limit);
  }

  form.addEventListener("change", function (event) {
    if (event.target.name === "model") updateSizes();
    updateTotal();
  });
  if (prompt) prompt.addEventListener("input", updateCounter);
  updateSizes();
  updateTotal();
  updateCounter();
})();
