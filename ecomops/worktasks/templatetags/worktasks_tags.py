"""``{% load worktasks_tags %}{% department_tasks user %}``: the home page's panel of the
department's open tasks, received and sent."""

from __future__ import annotations

from typing import Any

from django import template

from ecomops.accounts.roles import ROLES, RoleCode
from ecomops.accounts.selectors import user_departments

from ..models import is_manager
from ..selectors import tasks_received, tasks_sent

register = template.Library()


@register.inclusion_tag("worktasks/_department_tasks.html", takes_context=True)
def department_tasks(context: template.Context, user: Any, limit: int = 5) -> dict[str, Any]:
    """Up to ``limit`` open tasks received and sent, due first. On a role's home page
    (``current_role``) those of the role's department; else those of all the user's."""
    code = context.get("current_role")
    role = ROLES.get(code) if isinstance(code, str) else None
    if role is not None and role.code == RoleCode.MANAGER:
        role = None  # managers look after every department
    department = str(role.department) if role is not None else None
    if not (user_departments(user) or is_manager(user)):
        return {"show": False}
    received = tasks_received(user, department=department)
    sent = tasks_sent(user, department=department)
    return {
        "show": True,
        "department": role.department.label if role is not None else "",
        "received": list(received[:limit]),
        "received_count": received.count(),
        "sent": list(sent[:limit]),
        "sent_count": sent.count(),
    }
