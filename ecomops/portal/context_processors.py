"""Template context every portal page needs: the user's roles, navigation, unread count."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from ecomops.accounts.roles import ROLES
from ecomops.accounts.selectors import user_role_codes
from ecomops.notifications.selectors import notification_unread_count

from . import registry


def portal(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    codes = user_role_codes(user)
    return {
        "portal_roles": [ROLES[c] for c in codes],
        "portal_nav": registry.nav_for(codes, is_staff=user.is_staff, user=user),
        "unread_notifications_count": notification_unread_count(user=user),
    }
