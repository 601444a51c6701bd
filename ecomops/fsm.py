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
from ecomops.bulk import insert_rows, update_rows
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
            raise ConflictError(cannot_message(obj, name, state_field))
        raise PermissionDeniedError(
            _("You are not allowed to do this: %(action)s.") % {"action": _action_label(method)}
        )
    actor = acting_user(by)
    # django-fsm-log reads who and why from these descriptors when the transition fires.
    with FSMLogDescriptor(obj, "by", actor), FSMLogDescriptor(obj, "description", reason or None):
        try:
            method(**kwargs)
        except TransitionNotAllowed as exc:
            raise ConflictError(cannot_message(obj, name, state_field)) from exc
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


def cannot_message(obj: models.Model, name: str, state_field: str) -> str:
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
        changes = dict(zip(fields, new_values, strict=True))
        if len(pks) <= _FEW:  # a parcel's notes, on every parcel closed: SQL written once
            update_rows(model, pks, changes, **{state_field: source})
            continue
        for start in range(0, len(pks), 5000):
            manager.filter(pk__in=pks[start : start + 5000], **{state_field: source}).update(
                **changes
            )
    if len(logs) <= _FEW:
        insert_rows(
            StateLog,
            _LOG_FIELDS,
            [[getattr(log, name) for name in _LOG_FIELDS] for log in logs],
        )
    else:
        StateLog.objects.bulk_create(logs, batch_size=2000)
    return moved


# Up to this many objects, ``bulk_transition`` writes by SQL it keeps per row count.
_FEW = 20
_LOG_FIELDS = (
    "timestamp",
    "by_id",
    "source_state",
    "state",
    "transition",
    "content_type_id",
    "object_id",
    "description",
)


def bulk_transition_rows(
    model: type[models.Model],
    pks: Iterable[Any],
    name: str,
    *,
    by: AbstractUser | AnonymousUser | None,
    reason: str = "",
    update_fields: Iterable[str] = (),
    **kwargs: Any,
) -> list[Any]:
    """Run one transition over rows given by primary key, without loading them as objects.

    ``bulk_transition`` still builds an object per row and a log object per row; releasing a
    cutoff batch of 100,000 notes spent more time on those than on writing. This twin is for
    transitions whose outcome is the same for every row: fixed sources and target, no
    conditions, and a body that sets ``update_fields`` from its arguments only. The body
    runs once, on a blank object, to learn those values (so the model stays the one place
    that says what the transition writes). Then the rows still in a source state are locked
    (``FOR UPDATE``, pk order; the caller normally holds them already), written by one
    guarded UPDATE per 5,000, and logged by one ``INSERT … SELECT`` per 5,000 with what
    ``transition()`` records in django-fsm-log: who, why, from, to, when. Rows in another
    state are left out; the primary keys moved are returned.
    """
    from django.contrib.contenttypes.models import ContentType
    from django.utils import timezone
    from django_fsm_log.models import StateLog

    from ecomops.bulk import insert_select

    pks = sorted(pks)
    method = getattr(model, name)
    meta = method._django_fsm
    template = model()
    state_field = _state_field_name(template)
    moves = {}
    for source, rule in meta.transitions.items():
        if source in ("*", "+") or rule.conditions or hasattr(rule.target, "get_state"):
            raise TypeError(
                f"{model.__name__}.{name} depends on each row (wildcard source, conditions "
                "or computed target): use bulk_transition"
            )
        moves[source] = rule.target
    if not pks:
        return []
    template.__dict__[state_field] = next(iter(moves))
    if by is not None and not has_transition_perm(getattr(template, name), by):
        raise PermissionDeniedError(
            _("You are not allowed to do this: %(action)s.") % {"action": _action_label(method)}
        )
    method.__wrapped__(template, **kwargs)
    values = {field: getattr(template, field) for field in update_fields}
    manager = model._default_manager
    rows: list[tuple[Any, Any]] = []
    for start in range(0, len(pks), 5000):
        rows.extend(
            manager.select_for_update()
            .filter(pk__in=pks[start : start + 5000], **{f"{state_field}__in": list(moves)})
            .order_by("pk")
            .values_list("pk", state_field)
        )
    by_source: dict[Any, list[Any]] = {}
    for pk, source in rows:
        by_source.setdefault(source, []).append(pk)
    actor = acting_user(by)
    log = {
        "timestamp": models.Value(timezone.now(), output_field=models.DateTimeField()),
        "by": models.Value(actor.pk if actor else None, output_field=models.BigIntegerField()),
        "transition": models.Value(name, output_field=models.CharField()),
        "content_type": models.Value(
            ContentType.objects.get_for_model(model).pk, output_field=models.IntegerField()
        ),
        "description": models.Value(reason or None, output_field=models.TextField()),
    }
    for source, source_pks in by_source.items():
        moved_values = {
            "source_state": models.Value(source, output_field=models.CharField()),
            "state": models.Value(moves[source], output_field=models.CharField()),
        }
        for start in range(0, len(source_pks), 5000):
            part = source_pks[start : start + 5000]
            manager.filter(pk__in=part, **{state_field: source}).update(
                **{state_field: moves[source]}, **values
            )
            selected = {f"log_{key}": value for key, value in {**log, **moved_values}.items()}
            insert_select(
                StateLog,
                [*log, *moved_values, "object_id"],
                manager.filter(pk__in=part)
                .order_by()
                .annotate(**selected)
                .values_list(*selected, "pk"),
            )
    return [pk for pk, _source in rows]
