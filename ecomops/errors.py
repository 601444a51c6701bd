"""The one error type business code raises; views turn it into a message, the API into 400/409."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _


class ApplicationError(Exception):
    """A refusal the user can act on: a rule was broken, or the input was wrong.

    ``message`` is shown to the user as is (translated by the raiser); ``extra`` carries
    structured details, e.g. ``{"fields": {"sku": ["unknown SKU"]}}`` for the API.
    """

    status_code = 400

    def __init__(self, message: str, extra: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.extra = extra or {}

    def __str__(self) -> str:
        return str(self.message)


class ConflictError(ApplicationError):
    """The request is valid, but the object's current state does not allow it (HTTP 409)."""

    status_code = 409


class PermissionDeniedError(ApplicationError):
    """The user's roles do not allow this action (HTTP 403)."""

    status_code = 403


def require_permission(by: Any, permission: str, message: str | None = None) -> None:
    """Refuse a user without ``permission`` (403); ``by=None`` is the system (beat, a signed
    push, a receiver acting on another service's decision) and is never refused."""
    if by is not None and not by.has_perm(permission):
        raise PermissionDeniedError(message or _("You are not allowed to do this."))
