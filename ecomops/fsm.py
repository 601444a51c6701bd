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

from ecomops.accounts.selectors import acting_user
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
    actor = acting_user(by)
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


def transition_label(model: type[models.Model], name: str) -> str:
    """The words for ``model``'s transition ``name`` (its ``custom["label"]``), as refusals
    and the admin's state log show it; a transition the model no longer has keeps its name."""
    method = getattr(model, name, None)
    return _action_label(method) if callable(method) else name.replace("_", " ")


def _cannot_message(obj: models.Model, name: str, state_field: str) -> str:
    display = getattr(obj, f"get_{state_field}_display", None)
    state = display() if callable(display) else getattr(obj, state_field)
    return _("%(object)s cannot %(action)s while it is %(state)s.") % {
        "object": str(obj),
        "action": _action_label(getattr(obj, name)),
        "state": state,
    }


def bulk_transition(
    objects: Iterable[models.Model],
    name: str,
    *,
    by: AbstractUser | AnonymousUser | None,
    reason: str = "",
    update_fields: Iterable[str] = (),
    **kwargs: Any,
) -> list[models.Model]:
    """Run one transition over many objects the caller has locked, with set-based writes.

    For the few places where thousands of objects move at once (a cutoff batch released):
    each object goes through the transition method's rules (source state, conditions,
    the method body) in memory, then the objects sharing the same new values are written by
    one UPDATE guarded by their old state, and the django-fsm-log rows by one INSERT.
    The caller must hold the rows (``select_for_update``): django-fsm's optimistic lock is
    replaced by that lock. Objects that cannot take the transition are left out, and the
    objects moved are returned.
    """
    from django.contrib.contenttypes.models import ContentType
    from django.utils import timezone
    from django_fsm_log.models import StateLog

    objects = list(objects)
    if not objects:
        return []
    model = type(objects[0])
    method = getattr(model, name)
    meta = method._django_fsm
    func = method.__wrapped__
    state_field = _state_field_name(objects[0])
    if by is not None and not has_transition_perm(getattr(objects[0], name), by):
        raise PermissionDeniedError(
            _("You are not allowed to do this: %(action)s.") % {"action": _action_label(method)}
        )
    actor = acting_user(by)
    fields = [state_field, *update_fields]
    content_type = ContentType.objects.get_for_model(model)
    now = timezone.now()
    groups: dict[tuple[Any, ...], list[Any]] = {}
    logs = []
    moved = []
    for obj in objects:
        source = obj.__dict__[state_field]
        if not meta.has_transition(source) or not meta.conditions_met(obj, source):
            continue
        target = meta.next_state(source)
        result = func(obj, **kwargs)
        if hasattr(target, "get_state"):
            target = target.get_state(obj, None, result, kwargs=kwargs)
        meta.field.set_state(obj, target)
        moved.append(obj)
        values = tuple(obj.__dict__[f] for f in fields)
        groups.setdefault((source, *values), []).append(obj.pk)
        logs.append(
            StateLog(
                timestamp=now,
                by=actor,
                source_state=source,
                state=target,
                transition=name,
                content_type=content_type,
                object_id=obj.pk,
                description=reason or None,
            )
        )
    manager = model._default_manager
    for (source, *new_values), pks in groups.items():
        for start in range(0, len(pks), 5000):
            manager.filter(pk__in=pks[start : start + 5000], **{state_field: source}).update(
                **dict(zip(fields, new_values, strict=True))
            )
    StateLog.objects.bulk_create(logs, batch_size=2000)
    return moved
