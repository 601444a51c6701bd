"""Running state-machine transitions the one way services do it (STYLE: state machines).

A transition method changes memory only. ``transition()`` checks the user's permission for
it, turns django-fsm's refusal into a ``ConflictError`` the user can read, records who and
why in django-fsm-log, and saves only the fields the transition touched.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.auth.models import AbstractUser, AnonymousUser
from django.db import models
from django.utils.translation import gettext as _
from django_fsm import TransitionNotAllowed, can_proceed, has_transition_perm
from django_fsm_log.helpers import FSMLogDescriptor

from ecomops.errors import ConflictError, PermissionDeniedError


def transition(
    obj: models.Model,
    name: str,
    *,
    by: AbstractUser | AnonymousUser | None,
    reason: str = "",
    update_fields: Iterable[str] = (),
    check_permission: bool = True,
    **kwargs: Any,
) -> None:
    """Run ``obj.<name>(...)`` as ``by`` and save the state plus ``update_fields``.

    ``by=None`` means the system (a scheduled job, a signed API push): no permission check.
    """
    method = getattr(obj, name)
    state_field = _state_field_name(obj)
    if check_permission and by is not None and not has_transition_perm(method, by):
        if not can_proceed(method):
            raise ConflictError(_cannot_message(obj, name, state_field))
        raise PermissionDeniedError(
            _("You are not allowed to do this: %(action)s.") % {"action": _action_label(method)}
        )
    actor = by if by is not None and by.is_authenticated else None
    # django-fsm-log reads who and why from these descriptors when the transition fires.
    with FSMLogDescriptor(obj, "by", actor), FSMLogDescriptor(obj, "description", reason or None):
        try:
            method(**kwargs)
        except TransitionNotAllowed as exc:
            raise ConflictError(_cannot_message(obj, name, state_field)) from exc
    obj.save(update_fields=[state_field, *update_fields])


def _state_field_name(obj: models.Model) -> str:
    from django_fsm import FSMFieldMixin

    for field in obj._meta.concrete_fields:
        if isinstance(field, FSMFieldMixin):
            return field.attname
    raise TypeError(f"{type(obj).__name__} has no FSM field")


def _action_label(method: Any) -> str:
    meta = getattr(method, "_django_fsm", None)
    custom: dict[str, Any] = {}
    if meta is not None:
        for t in meta.transitions.values():
            custom = t.custom or {}
            break
    return str(custom.get("label", method.__name__.replace("_", " ")))


def _cannot_message(obj: models.Model, name: str, state_field: str) -> str:
    display = getattr(obj, f"get_{state_field}_display", None)
    state = display() if callable(display) else getattr(obj, state_field)
    return _("%(object)s cannot %(action)s while it is %(state)s.") % {
        "object": str(obj),
        "action": _action_label(getattr(obj, name)),
        "state": state,
    }
