"""Showing a service's refusal on the form the user filled, keeping what they typed."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from ecomops.errors import ApplicationError


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
