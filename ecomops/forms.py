"""Showing a service's refusal on the form the user filled, keeping what they typed."""

from __future__ import annotations

from django import forms

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
