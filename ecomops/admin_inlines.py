"""Admin inlines that show records without letting anyone edit them (logs, history, lines).

Those records are written by services only; the admin shows them beside their parent::

    class ReviewRoundInline(ReadOnlyInline, admin.TabularInline[ReviewRound, Application]):
        model = ReviewRound
        fields = ["number", "decision", "reason"]

State machines show their django-fsm-log rows with ``StateLogInline`` (django-fsm-log's own
inline shows raw state codes under untranslated column names).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib import admin
from django.contrib.contenttypes.admin import GenericTabularInline
from django.db.models import F, QuerySet
from django.http import HttpRequest
from django.utils.translation import pgettext_lazy
from django_fsm_log.models import StateLog

from ecomops.accounts.names import person_name
from ecomops.fsm import transition_label


class ReadOnlyInline:
    """Every listed field read-only; no add, no delete, no empty extra rows."""

    extra = 0
    can_delete = False

    def get_readonly_fields(self, request: Any, obj: Any = None) -> list[str]:
        return [str(f) for f in getattr(self, "fields", None) or ()]

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False


class StateLogInline(GenericTabularInline):
    """An object's transitions, newest first, in words: the step, the states' labels, who
    and why (django-fsm-log's rows are written by ``ecomops.fsm.transition`` only)."""

    model = StateLog
    extra = 0
    can_delete = False
    verbose_name = pgettext_lazy("state log", "state change")
    verbose_name_plural = pgettext_lazy("state log", "state changes")
    readonly_fields = ("when", "step", "from_state", "to_state", "who", "reason")
    fields = readonly_fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[StateLog]:
        return (
            super()
            .get_queryset(request)
            .select_related("by", "content_type")
            .order_by(F("timestamp").desc(), F("pk").desc())
        )

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Whoever may see the object sees its history: the log has no permissions of its own.
        return True

    @admin.display(description=pgettext_lazy("state log", "when"))
    def when(self, log: StateLog) -> datetime:
        return log.timestamp

    @admin.display(description=pgettext_lazy("state log", "step"))
    def step(self, log: StateLog) -> str:
        model = log.content_type.model_class()
        return transition_label(model, log.transition) if model else log.transition

    @admin.display(description=pgettext_lazy("state log", "from"))
    def from_state(self, log: StateLog) -> str:
        return log.get_source_state_display() if log.source_state else "—"

    @admin.display(description=pgettext_lazy("state log", "to"))
    def to_state(self, log: StateLog) -> str:
        return log.get_state_display() or log.state

    @admin.display(description=pgettext_lazy("state log", "by"))
    def who(self, log: StateLog) -> str:
        return person_name(log.by) or str(pgettext_lazy("state log", "the system"))

    @admin.display(description=pgettext_lazy("state log", "reason"))
    def reason(self, log: StateLog) -> str:
        return log.description or "—"
