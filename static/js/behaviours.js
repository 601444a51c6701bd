// Small page behaviours, here rather than inline so the Content-Security-Policy can refuse
// every inline script and event-handler attribute (base.html loads this once).
//   data-check-all="NAME" on a checkbox ticks or clears every checkbox named NAME.
//   data-select-on-focus on a field selects its whole text when clicked or focused (links
//   to copy).
(function () {
  "use strict";
  document.addEventListener("change", function (event) {
    var box = event.target;
    if (!(box instanceof HTMLInputElement) || !box.hasAttribute("data-check-all")) { return; }
    var name = box.getAttribute("data-check-all");
    document.querySelectorAll("input[type=checkbox]").forEach(function (other) {
      if (other.name === name) { other.checked = box.checked; }
    });
  });
  function selectAll(event) {
    var field = event.target;
    if (field instanceof HTMLInputElement && field.hasAttribute("data-select-on-focus")) {
      field.select();
    }
  }
  document.addEventListener("click", selectAll);
  document.addEventListener("focusin", selectAll);
})();
