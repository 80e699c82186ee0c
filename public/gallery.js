// Pictor — small enhancements for /gallery, /generations/{id} and /account. Everything works without it:
//   • button[data-copy="<input id>"] copies that input's value (navigator.clipboard, else select() +
//     execCommand); the buttons are rendered `hidden` and shown here, since they do nothing without JS.
//     The button says "Copied" for 2 s and a polite live region announces it.
//   • A read-only share input selects its whole text on focus/click.
//   • form[data-confirm], or a button[data-confirm] that submits a form, asks first (delete one image,
//     delete the selected ones).
//   • The bulk bar ([data-bulk-count]) shows how many tiles are ticked.
// No framework, no inline handlers (strict CSP); loaded with `defer`.
(function () {
  "use strict";

  var live = null;
  function announce(text) {
    if (!live) {
      live = document.createElement("div");
      live.className = "visually-hidden";
      live.setAttribute("role", "status");
      live.setAttribute("aria-live", "polite");
      document.body.appendChild(live);
    }
    live.textContent = "";
    // A fresh text node after a tick so screen readers announce a repeated message too.
    window.setTimeout(function () { live.textContent = text; }, 50);
  }

  function selectAll(input) {
    input.focus();
    input.select();
    try { input.setSelectionRange(0, input.value.length); } catch (e) { /* not a text input */ }
  }

  function legacyCopy(input) {
    selectAll(input);
    try { return document.execCommand("copy"); } catch (e) { return false; }
  }

  function copied(button, label, ok) {
    button.textContent = ok ? "Copied" : "Selected";
    button.classList.add("is-copied");
    announce(ok ? (button.getAttribute("data-copied") || "Link copied to the clipboard") : "Selected — press Ctrl+C (or ⌘C) to copy it");
    window.clearTimeout(button._pictorTimer);
    button._pictorTimer = window.setTimeout(function () {
      button.textContent = label;
      button.classList.remove("is-copied");
    }, 2000);
  }

  var buttons = document.querySelectorAll("button[data-copy]");
  for (var i = 0; i < buttons.length; i++) {
    (function (button) {
      var input = document.getElementById(button.getAttribute("data-copy"));
      if (!input) return;
      var label = button.textContent;
      button.hidden = false;
      button.addEventListener("click", function () {
        var text = input.value;
        if (navigator.clipboard && navigator.clipboard.writeText && window.isSecureContext) {
          navigator.clipboard.writeText(text).then(
            function () { copied(button, label, true); },
            function () { copied(button, label, legacyCopy(input)); }
          );
        } else {
          copied(button, label, legacyCopy(input));
        }
      });
    })(buttons[i]);
  }

  var shares = document.querySelectorAll("input.share-input[readonly]");
  for (var j = 0; j < shares.length; j++) {
    shares[j].addEventListener("focus", function (event) { event.target.select(); });
    shares[j].addEventListener("click", function (event) { event.target.select(); });
  }

  // Ask before deleting. The message is on the form or on the button used (`submitter`: a
  // tile's delete button submits the shared form#tile-action); for the bulk bar it names a count.
  var forms = document.querySelectorAll("form[data-confirm], form#tile-action");
  for (var k = 0; k < forms.length; k++) {
    forms[k].addEventListener("submit", function (event) {
      var form = event.currentTarget;
      var button = event.submitter;
      var message = (button && button.getAttribute("data-confirm")) || form.getAttribute("data-confirm");
      if (form.id === "bulk") {
        var ticked = document.querySelectorAll('input[name="ids"][form="bulk"]:checked').length;
        if (ticked === 0) {
          event.preventDefault();
          showCount("Tick one or more images first.");
          return;
        }
        message = ticked === 1 ? "Delete 1 selected image? This cannot be undone."
                               : "Delete " + ticked + " selected images? This cannot be undone.";
      }
      if (message && !window.confirm(message)) event.preventDefault();
    });
  }

  var count = document.querySelector("[data-bulk-count]");
  function showCount(text) {
    if (count) count.textContent = text ? " " + text : "";
  }
  function updateCount() {
    var ticked = document.querySelectorAll('input[name="ids"][form="bulk"]:checked').length;
    showCount(ticked === 0 ? "" : ticked === 1 ? "1 selected." : ticked + " selected.");
  }
  if (count) {
    document.addEventListener("change", function (event) {
      var target = event.target;
      if (target && target.name === "ids" && target.getAttribute("form") === "bulk") updateCount();
    });
    updateCount(); // a reloaded page may keep its ticks
    window.addEventListener("pageshow", updateCount); // so may one from the back/forward cache
  }
})();
