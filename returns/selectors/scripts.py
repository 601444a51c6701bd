"""Reads of the reply-script knowledge base: search, a script's versions, the day's changes.

History rows are django-simple-history's: ``history_type`` is ``+`` (created), ``~``
(changed) or ``-`` (deleted). Each row read here also gets, compared with the version
before it (fetched in the same query):

- ``change_kind``: ``created``, ``changed``, ``deactivated``, ``reactivated`` or ``deleted``;
- ``change_label``: the same, translated for the page;
- ``changed_fields``: the labels of the fields that differ from the version before.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.utils.translation import pgettext

from ecomops.calendar import day_start

from ..models import ReplyScript, ScriptAudience

# The fields whose change a reader cares about, compared version to version.
COMPARED_FIELDS = ("category", "audience", "question", "answer", "active")


def script_search(
    *, q: str = "", category: str = "", audience: str = "", active_only: bool = True
) -> QuerySet[ReplyScript]:
    """Scripts where every word of ``q`` (split on spaces) is in the question or the answer.

    Chinese is not split into words, so staff type the terms apart: ``发票 电子``. A script
    for both audiences is found under either audience.
    """
    qs = ReplyScript.objects.select_related("updated_by")
    if active_only:
        qs = qs.filter(active=True)
    if category:
        qs = qs.filter(category=category)
    if audience == ScriptAudience.BOTH:
        qs = qs.filter(audience=ScriptAudience.BOTH)
    elif audience:
        qs = qs.filter(audience__in=[audience, ScriptAudience.BOTH])
    for term in q.split():
        qs = qs.filter(Q(question__icontains=term) | Q(answer__icontains=term))
    return qs.order_by("category", "question", "pk")


def _with_previous(rows: QuerySet[Any]) -> QuerySet[Any]:
    """Annotate each history row with the compared fields of the version before it."""
    history = ReplyScript.history.model
    before = history.objects.filter(
        id=OuterRef("id"), history_id__lt=OuterRef("history_id")
    ).order_by("-history_id")
    return rows.annotate(
        **{f"previous_{name}": Subquery(before.values(name)[:1]) for name in COMPARED_FIELDS}
    )


def _describe(row: Any) -> Any:
    labels = {f.name: f.verbose_name for f in ReplyScript._meta.fields if f.name in COMPARED_FIELDS}
    changed: list[str] = []
    if row.history_type == "+":
        kind = "created"
    elif row.history_type == "-":
        kind = "deleted"
    else:
        changed = [
            name
            for name in COMPARED_FIELDS
            if getattr(row, f"previous_{name}") is not None
            and getattr(row, f"previous_{name}") != getattr(row, name)
        ]
        kind = "changed"
        if "active" in changed:
            kind = "reactivated" if row.active else "deactivated"
    row.change_kind = kind
    row.change_label = {
        "created": pgettext("reply script change", "created"),
        "changed": pgettext("reply script change", "changed"),
        "deactivated": pgettext("reply script change", "taken out of use"),
        "reactivated": pgettext("reply script change", "put back in use"),
        "deleted": pgettext("reply script change", "deleted"),
    }[kind]
    row.changed_fields = [str(labels[name]) for name in changed]
    return row


def script_history(script: ReplyScript) -> list[Any]:
    """Every version of ``script``, newest first, with who made it and what changed."""
    rows = _with_previous(
        script.history.select_related("history_user").order_by("-history_date", "-history_id")
    )
    return [_describe(row) for row in rows]


def changes_on(day: date) -> list[Any]:
    """The versions of any script saved on ``day`` (company time), newest first: the
    question as it then read, the kind of change and who made it."""
    rows = _with_previous(
        ReplyScript.history.filter(
            history_date__gte=day_start(day), history_date__lt=day_start(day + timedelta(days=1))
        )
        .select_related("history_user")
        .order_by("-history_date", "-history_id")
    )
    return [_describe(row) for row in rows]


def changes_count_on(day: date) -> int:
    return ReplyScript.history.filter(
        history_date__gte=day_start(day), history_date__lt=day_start(day + timedelta(days=1))
    ).count()
