"""``{% load people %}``: ``{{ user|person }}`` shows a colleague's name, family name first."""

from __future__ import annotations

from typing import Any

from django import template

from ..names import person_name

register = template.Library()


@register.filter
def person(user: Any) -> str:
    """``{{ task.dispatched_by|person }}`` → 王芳; the username for an account without a
    name; empty for nobody, so ``|default:"—"`` can follow."""
    if user is None or user == "":
        return ""
    return person_name(user)
