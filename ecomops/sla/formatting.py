"""Working time in words, for countdown badges and the notifications the sweep sends."""

from __future__ import annotations

import math
from datetime import timedelta

from django.utils.translation import gettext as _
from django.utils.translation import ngettext


def format_working_time(delta: timedelta) -> str:
    """ "12 minutes" / "1 h 5 min" (translated), rounded up to the minute, sign dropped."""
    minutes = math.ceil(abs(delta.total_seconds()) / 60)
    if minutes < 60:
        return ngettext("%(minutes)d minute", "%(minutes)d minutes", minutes) % {"minutes": minutes}
    hours, rest = divmod(minutes, 60)
    if rest == 0:
        return ngettext("%(hours)d hour", "%(hours)d hours", hours) % {"hours": hours}
    return _("%(hours)d h %(minutes)d min") % {"hours": hours, "minutes": rest}
