// Live SLA countdowns on every page (base.html loads this once). Each running clock that
// {% sla_countdown %} renders carries data-live and, in seconds from when the server
// rendered it: data-left (working time left, negative when overdue), data-total (the
// clock's allowance), data-due-in (wall-clock time until due), data-warn-in (wall-clock
// time until the clock's warning point, its policy's share of the allowance; older pages
// without it fall back to the default share of data-total), data-idle and data-run (the
// working stretch ahead: nothing counts for "idle" seconds, then "run" seconds do, up to
// the day's closing). The script counts the working time down as it passes, in the words
// of #sla-countdown-strings, and turns the badge amber and red as the server would. Rows
// swapped in by htmx start counting when they arrive.
(function () {
  "use strict";
  var CSS = { running: "badge", warning: "badge badge-warning", breached: "badge badge-danger" };
  var strings = null;

  function loadStrings() {
    var el = document.getElementById("sla-countdown-strings");
    if (!el) { return null; }
    try { return JSON.parse(el.textContent); } catch (e) { return null; }
  }

  function fill(format, values) {
    return format.replace(/%\((\w+)\)[sd]/g, function (match, name) {
      return Object.prototype.hasOwnProperty.call(values, name) ? values[name] : match;
    });
  }

  // Same words and rounding as format_working_time in ecomops/sla/templatetags/sla_tags.py.
  function workingTime(seconds) {
    var minutes = Math.ceil(Math.abs(seconds) / 60);
    if (minutes < 60) {
      return fill(strings.minute[minutes === 1 ? 0 : 1], { minutes: minutes });
    }
    var hours = Math.floor(minutes / 60);
    var rest = minutes % 60;
    if (rest === 0) { return fill(strings.hour[hours === 1 ? 0 : 1], { hours: hours }); }
    return fill(strings.hours_minutes, { hours: hours, minutes: rest });
  }

  function number(el, name) {
    var value = parseFloat(el.getAttribute("data-" + name));
    return isNaN(value) ? null : value;
  }

  function update(el, now) {
    var left = number(el, "left");
    var total = number(el, "total");
    var dueIn = number(el, "due-in");
    var warnIn = number(el, "warn-in");
    var idle = number(el, "idle");
    var run = number(el, "run");
    if (left === null || dueIn === null) { return; }
    var seen = number(el, "seen-at");
    if (seen === null) {
      seen = now;
      el.setAttribute("data-seen-at", String(now));
    }
    var elapsed = (now - seen) / 1000;
    var worked = Math.min(Math.max(elapsed - (idle || 0), 0), run || 0);
    var leftNow = left - worked;
    var state = el.getAttribute("data-sla-state");
    if (state !== "breached") {
      if (elapsed > dueIn) {
        state = "breached";
      } else if (state === "warning") {
        // Once amber, amber until due (the server says so too once the owner was warned).
      } else if (warnIn !== null) {
        state = elapsed >= warnIn ? "warning" : "running";
      } else {
        var share = strings ? strings.warning_share : 0.2;
        state = total > 0 && leftNow < total * share ? "warning" : "running";
      }
    }
    if (el.getAttribute("data-sla-state") !== state) {
      el.setAttribute("data-sla-state", state);
      el.className = CSS[state] + " sla-countdown";
    }
    // Overdue while working time is still left only once the stretch the page knows of has
    // ended (open overnight): the colour is right, the figure needs a refresh.
    if (strings && !(state === "breached" && leftNow > 0)) {
      var text = workingTime(leftNow);
      if (state === "breached") { text = fill(strings.overdue, { time: text }); }
      if (el.textContent !== text) { el.textContent = text; }
    }
  }

  function tick() {
    if (strings === null) { strings = loadStrings(); }
    var now = Date.now();
    document.querySelectorAll(".sla-countdown[data-live]").forEach(function (el) {
      update(el, now);
    });
  }

  document.addEventListener("DOMContentLoaded", tick);
  document.addEventListener("htmx:afterSwap", tick);
  window.setInterval(tick, 5000);
})();
