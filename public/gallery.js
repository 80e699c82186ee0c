// Pictor — small enhancements, loaded on every page by the layout. Everything works without it:
//   • the account menu (<details class="account-menu">) closes with Esc and with a click elsewhere;
//   • a filter marked data-submit-on-change applies as soon as it changes (the gallery's model and
//     favorites filters; the search box keeps its button);
//   • button[data-copy="<input id>"] copies that input's value (navigator.clipboard, else select() +
//     execCommand); the buttons are rendered `hidden` and shown here, since they do nothing without JS.
//     The button says "Copied" for 2 s and a polite live region announces it.
//   • A read-only share input selects its whole text on focus/click.
//   • form[data-confirm], or a button[data-confirm] that submits a form, asks first (delete one image,
//     delete the selected ones).
//   • The bulk bar ([data-bulk-count]) shows how many tiles are ticked, and its delete button
//     ([data-bulk-delete]) stays disabled while none is.
//   • The viewer: an image link with data-full (gallery and Explore tiles, the results on /generate)
//     opens the full-size image over the page in a <dialog>; ← and → step through the page's images,
//     Esc closes, and Download, Open page and (for a public image) Copy link are at hand. Without
//     JavaScript the link opens the image's own page.
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

  var openers = Array.prototype.slice.call(document.querySelectorAll("a[data-full]"));
  if (openers.length && typeof HTMLDialogElement === "function") {
    var viewer = document.createElement("dialog");
    viewer.className = "viewer";
    viewer.setAttribute("aria-label", "Image viewer");
    var picture = document.createElement("img");
    picture.alt = "";   // set to the prompt when an image is shown
    var caption = document.createElement("p");
    caption.className = "viewer-caption";
    var bar = document.createElement("div");
    bar.className = "viewer-bar";
    function control(tag, label, className) {
      var element = document.createElement(tag);
      element.textContent = label;
      element.className = "btn btn-secondary btn-sm " + (className || "");
      if (tag === "button") element.type = "button";
      bar.appendChild(element);
      return element;
    }
    var previous = control("button", "← Previous"), next = control("button", "Next →");
    var download = control("a", "Download"), page = control("a", "Open page"), share = control("button", "Copy link");
    var close = control("button", "Close", "viewer-close");
    viewer.append(picture, caption, bar);
    document.body.appendChild(viewer);
    var current = 0;

    function show(index) {
      current = (index + openers.length) % openers.length;
      var link = openers[current], thumbnail = link.querySelector("img");
      picture.src = link.getAttribute("data-full");
      picture.alt = thumbnail ? thumbnail.alt : "";
      caption.textContent = (thumbnail ? thumbnail.alt : "") + " (" + (current + 1) + " of " + openers.length + ")";
      download.href = link.getAttribute("data-full");
      download.setAttribute("download", link.getAttribute("data-download") || "");
      page.href = link.getAttribute("href");
      share.hidden = !link.getAttribute("data-share");   // public images only
      share.textContent = "Copy link";
      previous.disabled = next.disabled = openers.length < 2;
    }
    openers.forEach(function (link, index) {
      link.addEventListener("click", function (event) {
        if (event.metaKey || event.ctrlKey || event.shiftKey || event.button !== 0) return;  // a new tab: the page
        event.preventDefault();
        show(index);
        viewer.showModal();
      });
    });
    previous.addEventListener("click", function () { show(current - 1); });
    next.addEventListener("click", function () { show(current + 1); });
    close.addEventListener("click", function () { viewer.close(); });
    share.addEventListener("click", function () {
      var url = openers[current].getAttribute("data-share");
      if (!navigator.clipboard || !window.isSecureContext) { window.prompt("Copy the link:", url); return; }
      navigator.clipboard.writeText(url).then(function () { share.textContent = "Link copied"; announce("Link copied to the clipboard"); });
    });
    viewer.addEventListener("click", function (event) { if (event.target === viewer) viewer.close(); });  // the backdrop
    viewer.addEventListener("keydown", function (event) {
      if (event.key === "ArrowLeft") { show(current - 1); event.preventDefault(); }
      if (event.key === "ArrowRight") { show(current + 1); event.preventDefault(); }
    });
    viewer.addEventListener("close", function () { openers[current].focus(); });
  }

  var menus = document.querySelectorAll("details.account-menu");
  function closeMenus(except) {
    for (var m = 0; m < menus.length; m++) if (menus[m] !== except && menus[m].open) menus[m].open = false;
  }
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    for (var m = 0; m < menus.length; m++) {
      if (menus[m].open) { menus[m].open = false; menus[m].querySelector("summary").focus(); }
    }
  });
  document.addEventListener("click", function (event) {
    var inside = event.target.closest && event.target.closest("details.account-menu");
    closeMenus(inside);
  });

  var autoSubmit = document.querySelectorAll("[data-submit-on-change]");
  for (var f = 0; f < autoSubmit.length; f++) {
    autoSubmit[f].addEventListener("change", function (event) { event.target.form.requestSubmit(); });
  }

  var count = document.querySelector("[data-bulk-count]");
  var bulkDelete = document.querySelector("[data-bulk-delete]");
  function showCount(text) {
    if (count) count.textContent = text ? " " + text : "";
  }
  function updateCount() {
    var ticked = document.querySelectorAll('input[name="ids"][form="bulk"]:checked').length;
    showCount(ticked === 0 ? "" : ticked === 1 ? "1 selected." : ticked + " selected.");
    if (bulkDelete) bulkDelete.disabled = ticked === 0;
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
