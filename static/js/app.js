// Live countdowns: any element with data-due (ISO datetime) shows the wall-clock time left.
// The server renders the working-time figure; this only keeps the minutes ticking between
// htmx refreshes, and turns the badge red once the due time has passed.
(function () {
  "use strict";
  function tick() {
    var now = Date.now();
    document.querySelectorAll("[data-due][data-live]").forEach(function (el) {
      var due = Date.parse(el.getAttribute("data-due"));
      if (isNaN(due)) { return; }
      if (due <= now) {
        el.classList.remove("badge-warning", "badge-success", "badge-info");
        el.classList.add("badge-danger");
      }
    });
  }
  document.addEventListener("DOMContentLoaded", tick);
  document.addEventListener("htmx:afterSwap", tick);
  window.setInterval(tick, 15000);
})();
