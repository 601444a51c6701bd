"""``{% load sla_tags %}``: countdown badges and an object's clock table.

- ``{% sla_countdown clock %}``: a badge with the working time left ("12 分钟",
  "1 小时 5 分"), amber from the clock's warning point (its policy's share of the
  allowance, ``SlaClock.warn_at``), red when overdue or missed, green when met;
  ``data-due`` carries the ISO due time. A running (or overdue) clock is ``data-live``:
  ``static/js/app.js``, loaded by ``base.html`` on every page, keeps its working time
  ticking from ``data-left`` and the working stretch the page was rendered in
  (``data-idle``/``data-run``), and turns it amber (``data-warn-in``: seconds until the
  warning point) and red (``data-due-in``) as the server would.
  Also takes a row annotated by ``ecomops.sla.selectors.annotate_sla`` (renders nothing
  when the row has no clock).
- ``{% sla_countdown_strings %}``: the translated formats the live countdown writes with,
  once per page (``base.html``).
- ``{% sla_clocks obj %}``: the table of ``obj``'s clocks (policy, started, due, stopped,
  status) for the object's page.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django import template
from django.utils import timezone
from django.utils.html import json_script
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ecomops.calendar import add_working_time, day_closing
from ecomops.sla.formatting import format_working_time
from ecomops.sla.models import SlaClock
from ecomops.sla.selectors import clocks_for

register = template.Library()

# Under this share of its allowance left, a running clock without a warning point of its
# own shows amber (the default warning point: 80 % of the allowance passed).
WARNING_SHARE = 0.2

CSS = {
    "running": "badge",
    "warning": "badge badge-warning",
    "breached": "badge badge-danger",
    "met": "badge badge-success",
    "missed": "badge badge-danger",
}


def _as_clock(target: Any) -> SlaClock | None:
    if isinstance(target, SlaClock):
        return target
    due = getattr(target, "sla_due_at", None)
    if not isinstance(due, datetime):
        return None
    # A row annotated by annotate_sla: an unsaved clock computes the same answers.
    return SlaClock(
        started_at=getattr(target, "sla_started_at", None) or due,
        due_at=due,
        stopped_at=getattr(target, "sla_stopped_at", None),
        breached_at=getattr(target, "sla_breached_at", None),
        warn_at=getattr(target, "sla_warn_at", None),
    )


def live_figures(clock: SlaClock, now: datetime) -> dict[str, float]:
    """What the page's script needs to keep a running clock ticking, in seconds from
    ``now`` (the render): working time ``left`` (negative when overdue) of ``total``,
    wall-clock time until due, and the working stretch ahead: none of it counts for
    ``idle`` seconds (before opening, at night, on a day off), then ``run`` seconds of it
    do, up to the day's closing. Past that the page needs a refresh to go on. ``warn_in``:
    wall-clock time until the warning point (negative once past it).
    """
    opens = add_working_time(now, timedelta(0))  # now, inside working hours
    return {
        "left": clock.time_left(now).total_seconds(),
        "total": clock.total.total_seconds(),
        "due_in": (clock.due_at - now).total_seconds(),
        "warn_in": (clock.warning_point() - now).total_seconds(),
        "idle": (opens - now).total_seconds(),
        "run": (day_closing(timezone.localdate(opens)) - opens).total_seconds(),
    }


def countdown_context(target: Any, now: datetime | None = None) -> dict[str, Any]:
    """What ``sla/_countdown.html`` shows for a clock (or annotated row) at ``now``."""
    clock = _as_clock(target)
    if clock is None:
        return {"clock": None}
    now = now or timezone.now()
    status = clock.status_at(now)
    left = clock.time_left(now)
    state = status
    if status == SlaClock.Status.RUNNING:
        text = format_working_time(left)
        if clock.is_warning(now):
            state = "warning"
    elif status == SlaClock.Status.BREACHED:
        text = _("%(time)s overdue") % {"time": format_working_time(left)}
    elif status == SlaClock.Status.MET:
        text = _("Met")
    else:
        text = _("%(time)s late") % {"time": format_working_time(left)}
    return {
        "clock": clock,
        "state": state,
        "css": CSS[state],
        "text": text,
        "status_label": SlaClock.Status(status).label,
        "due_iso": timezone.localtime(clock.due_at).isoformat(),
        "due_local": timezone.localtime(clock.due_at),
        "stopped_iso": (
            timezone.localtime(clock.stopped_at).isoformat() if clock.stopped_at else ""
        ),
        "live": (
            live_figures(clock, now)
            if status in (SlaClock.Status.RUNNING, SlaClock.Status.BREACHED)
            else None
        ),
    }


@register.inclusion_tag("sla/_countdown.html")
def sla_countdown(target: Any) -> dict[str, Any]:
    """``{% sla_countdown clock %}`` or ``{% sla_countdown row %}`` (annotated row)."""
    return countdown_context(target)


@register.inclusion_tag("sla/_clocks.html")
def sla_clocks(obj: Any) -> dict[str, Any]:
    """``{% sla_clocks order %}``: every SLA clock of ``obj`` as a table."""
    clocks = list(clocks_for(obj)) if obj is not None and obj.pk is not None else []
    return {"clocks": clocks}


@register.simple_tag
def sla_countdown_strings() -> SafeString:
    """The formats of ``format_working_time`` and the overdue text, in the current language,
    as a JSON script element for the live countdown (singular and plural forms)."""
    strings = {
        "minute": [ngettext("%(minutes)d minute", "%(minutes)d minutes", n) for n in (1, 2)],
        "hour": [ngettext("%(hours)d hour", "%(hours)d hours", n) for n in (1, 2)],
        "hours_minutes": _("%(hours)d h %(minutes)d min"),
        "overdue": _("%(time)s overdue"),
        "warning_share": WARNING_SHARE,
    }
    return json_script(strings, "sla-countdown-strings")
