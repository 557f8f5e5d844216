// The staff console's own script: the idle warning. A hall PC left signed in is a risk, so
// the session ends after a quiet spell (the server ends it in any case); a minute or two
// before, this asks whether to keep working. No inline script anywhere: the page's policy
// allows only this file and htmx.
(function () {
  "use strict";
  var dialog = document.getElementById("idle-warning");
  if (!dialog) { return; }
  var idle = Number(dialog.dataset.idle) * 1000;
  var warn = Number(dialog.dataset.warn) * 1000;
  var csrf = dialog.dataset.csrf;
  var left = document.getElementById("idle-left");
  var last = Date.now();
  var ticking = null;

  function seen() { last = Date.now(); }
  document.addEventListener("htmx:afterRequest", seen);

  function minutesAndSeconds(ms) {
    var s = Math.max(0, Math.round(ms / 1000));
    return Math.floor(s / 60) + ":" + String(s % 60).padStart(2, "0");
  }

  function tick() {
    var quiet = Date.now() - last;
    if (quiet >= idle) {
      window.location.assign("/console/sign-in?next=" + encodeURIComponent(window.location.pathname + window.location.search));
      return;
    }
    if (quiet >= idle - warn) {
      left.textContent = minutesAndSeconds(idle - quiet);
      if (!dialog.open) { dialog.showModal(); document.getElementById("idle-stay").focus(); }
    }
  }

  document.getElementById("idle-stay").addEventListener("click", function () {
    fetch("/console/session/extend", {
      method: "POST", credentials: "same-origin", headers: { "X-CSRF-Token": csrf }
    }).then(function (answer) {
      if (answer.ok) { seen(); dialog.close(); }
      else { window.location.assign("/console/sign-in"); }
    });
  });
  ticking = window.setInterval(tick, 1000);
  window.addEventListener("pagehide", function () { window.clearInterval(ticking); });
}());

// A material's PDF is loaded when its <details> is opened, not with the page: Chromium's PDF
// viewer takes the keyboard focus once it has loaded, so a clerk tabbing through the case
// page lost keys to a frame they never opened (and every visit fetched every PDF). Without
// the script the link beside the frame opens the file.
document.addEventListener(
  "toggle",
  function (event) {
    var details = event.target;
    if (!(details instanceof HTMLDetailsElement) || !details.open) return;
    details.querySelectorAll("iframe[data-src]").forEach(function (frame) {
      frame.src = frame.getAttribute("data-src");
      frame.removeAttribute("data-src");
    });
  },
  true
);
