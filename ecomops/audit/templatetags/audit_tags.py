from __future__ import annotations

from typing import Any

from django import template

from ecomops.audit.selectors import timeline_for

register = template.Library()


@register.inclusion_tag("audit/_timeline.html", takes_context=True)
def timeline(context: template.Context, obj: Any, note_url: str = "") -> dict[str, Any]:
    """``{% timeline order note_url %}``: transitions, SLA clocks and notes of ``obj``.

    With ``note_url`` a form to add a note is shown (the app's view posts to ``note_add``).
    """
    return {
        "entries": timeline_for(obj),
        "note_url": note_url,
        "request": context.get("request"),
        "csrf_token": context.get("csrf_token"),
    }
