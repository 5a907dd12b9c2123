// Gerbang portal: progressive enhancement only; every page works without it.
//
// The session warning (WCAG 2.2.1): the server renders it hidden until the
// session's last minutes, and shown within them. This shows it when that
// time comes on a page left open, and says when the session has ended.
(function () {
  "use strict";
  var body = document.body;
  var ends = Number(body.dataset.sessionEnds || 0) * 1000;
  var warn = Number(body.dataset.sessionWarn || 0) * 1000;
  if (!ends) {
    return;
  }
  var warning = document.getElementById("session-warning");
  var ended = document.getElementById("session-ended");
  function tick() {
    var left = ends - Date.now();
    if (left <= 0) {
      if (warning) { warning.hidden = true; }
      if (ended) { ended.hidden = false; }
      return;
    }
    if (left <= warn && warning && warning.hidden) {
      warning.hidden = false;
    }
    setTimeout(tick, Math.min(30000, Math.max(1000, left <= warn ? left : left - warn)));
  }
  tick();
})();

// The error summary of a refused form: focused when the page opens, so a
// screen reader says what is wrong first; each of its links puts the focus
// in the field it names (without this a link only scrolls to it).
(function () {
  "use strict";
  var summary = document.querySelector(".error-summary");
  if (!summary) {
    return;
  }
  summary.focus();
  summary.addEventListener("click", function (e) {
    var a = e.target.closest("a[href^='#']");
    var field = a && document.getElementById(a.getAttribute("href").slice(1));
    if (field) {
      e.preventDefault();
      field.scrollIntoView();
      field.focus();
    }
  });
})();

// A deadline's countdown, from the server's clock: the page carries the
// deadline and the server's time when it was rendered, so a wrong clock on
// the vendor's device does not move it. Without this the page shows both
// times, in WIB.
(function () {
  "use strict";
  var shown = document.querySelectorAll("[data-deadline][data-server-now]");
  if (!shown.length) {
    return;
  }
  var offset = 0;
  function two(n) { return (n < 10 ? "0" : "") + n; }
  function say(el) {
    var left = Date.parse(el.dataset.deadline) - (Date.now() + offset);
    var out = el.querySelector(".countdown-left");
    if (!out) {
      return;
    }
    if (left <= 0) {
      out.textContent = el.dataset.passed || "";
      return;
    }
    var s = Math.floor(left / 1000);
    var days = Math.floor(s / 86400);
    out.textContent = (days ? days + " " + (el.dataset.days || "d") + " " : "") +
      two(Math.floor(s % 86400 / 3600)) + ":" + two(Math.floor(s % 3600 / 60)) + ":" + two(s % 60);
    setTimeout(function () { say(el); }, 1000);
  }
  offset = Date.parse(shown[0].dataset.serverNow) - Date.now();
  shown.forEach(say);
})();
