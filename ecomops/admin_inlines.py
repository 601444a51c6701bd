"""Admin inlines that show records without letting anyone edit them (logs, history, lines).

Those records are written by services only; the admin shows them beside their parent::

    class ReviewRoundInline(ReadOnlyInline, admin.TabularInline[ReviewRound, Application]):
        model = ReviewRound
        fields = ["number", "decision", "reason"]
"""

from __future__ import annotations

from typing import Any


class ReadOnlyInline:
    """Every listed field read-only; no add, no delete, no empty extra rows."""

    extra = 0
    can_delete = False

    def get_readonly_fields(self, request: Any, obj: Any = None) -> list[str]:
        return [str(f) for f in getattr(self, "fields", None) or ()]

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False
