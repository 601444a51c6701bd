"""``{% load login_lockout %}``: what the login page says about failed tries and locks."""

from __future__ import annotations

from typing import Any

from django import template

from ..lockout import LoginLockout, request_lockout_status

register = template.Library()


@register.simple_tag(takes_context=True)
def login_lockout(context: template.Context) -> LoginLockout | None:
    """The lock the page was rendered for, or after a failed try the tries left for the
    username given from this address; nothing before the first try."""
    if context.get("lockout"):
        return context["lockout"]
    request: Any = context.get("request")
    form: Any = context.get("form")
    if request is None or request.method != "POST" or form is None or not form.errors:
        return None
    return request_lockout_status(request, request.POST.get("username") or None)
