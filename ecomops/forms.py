"""Showing a service's refusal on the form the user filled, keeping what they typed."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError

from ecomops.errors import ApplicationError, PermissionDeniedError


def add_service_errors(form: forms.BaseForm, error: ApplicationError) -> None:
    """Put ``error``'s field messages on the form's fields, the rest at the top."""
    fields = error.extra.get("fields") or {}
    placed = False
    for name, messages in fields.items():
        target = name if name in form.fields else None
        for message in messages if isinstance(messages, list | tuple) else [messages]:
            form.add_error(target, str(message))
            placed = True
    if not placed:
        form.add_error(None, error.message)


def call_service(form: forms.BaseForm, action: Callable[..., Any], **kwargs: Any) -> Any:
    """Run a service for a valid form: its result, or None with its refusal (an
    ``ApplicationError`` or a model ``ValidationError``) put on the form."""
    try:
        return action(**kwargs)
    except ApplicationError as exc:
        add_service_errors(form, exc)
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            form.add_error(None, exc.messages)
    return None


def call_service_with_status(
    form: forms.BaseForm, action: Callable[..., Any], **kwargs: Any
) -> tuple[Any, int]:
    """``call_service`` for a page that re-renders on refusal: (the result, 200), or
    (None, 400 or 409 as the refusal says) with the refusal on the form. A refusal for lack
    of permission is not the user's typing: it answers 403 (Django's ``PermissionDenied``,
    shown by ``403.html`` with its message)."""
    status = 200

    def run(**arguments: Any) -> Any:
        nonlocal status
        try:
            return action(**arguments)
        except PermissionDeniedError as exc:
            raise PermissionDenied(exc.message) from exc
        except ApplicationError as exc:
            status = exc.status_code
            raise

    result = call_service(form, run, **kwargs)
    if form.errors:
        return None, status if status != 200 else 400
    return result, 200
