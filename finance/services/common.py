"""What every finance service checks first."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from ecomops.errors import PermissionDeniedError


def require(by: Any, permission: str) -> None:
    """Refuse a user without ``permission``; ``by=None`` is the system (beat, a signed push)."""
    if by is not None and not by.has_perm(permission):
        raise PermissionDeniedError(_("You are not allowed to do this."))
