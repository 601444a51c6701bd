"""Starting, stopping and sweeping SLA clocks (DESIGN §4, §7).

Every service here is idempotent: starting a running clock returns it, stopping a clock
that is not running does nothing, and the sweep marks and notifies each breach once.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ecomops.accounts.roles import role_label
from ecomops.calendar import add_working_time
from ecomops.errors import ApplicationError
from ecomops.notifications.services import notify_role

from .models import SlaClock, SlaPolicy
from .signals import sla_breached

logger = logging.getLogger(__name__)


class SlaError(ApplicationError):
    """A clock cannot be started as asked (unknown policy, missing deadline)."""


# Policies are read on every clock started or stopped (several per order), and change a few
# times a year in the admin: each process keeps them for POLICY_CACHE_SECONDS. Saving or
# deleting a policy clears this process's copy at once (``receivers``); other processes (the
# API's workers, Celery) see the change within the minute.
POLICY_CACHE_SECONDS = 60
_policies: dict[str, SlaPolicy] = {}
_policies_read_at = 0.0
_policies_lock = threading.Lock()


def sla_policies_forget() -> None:
    """Drop this process's copy of the policies: the next clock reads them again."""
    global _policies_read_at
    with _policies_lock:
        _policies.clear()
        _policies_read_at = 0.0


def _policy(code: str) -> SlaPolicy:
    global _policies_read_at
    with _policies_lock:
        if time.monotonic() - _policies_read_at > POLICY_CACHE_SECONDS:
            _policies.clear()
            _policies.update((p.code, p) for p in SlaPolicy.objects.all())
            _policies_read_at = time.monotonic()
        policy = _policies.get(code)
    if policy is None:
        raise SlaError(_("Unknown SLA policy %(code)s.") % {"code": code}, {"code": code})
    return policy


def _due(policy: SlaPolicy, started: datetime) -> datetime:
    """``started`` plus the policy's limit in working time; a deadline policy (no limit)
    cannot say when a clock is due by itself."""
    if policy.limit is None:
        raise SlaError(
            _("The SLA policy %(policy)s has no limit: give the due time.")
            % {"policy": policy.name},
            {"code": policy.code},
        )
    return add_working_time(started, policy.limit)


def _running(policy: SlaPolicy, obj: models.Model) -> models.QuerySet[SlaClock]:
    return SlaClock.objects.filter(
        policy=policy,
        content_type=ContentType.objects.get_for_model(obj),
        object_id=obj.pk,
        stopped_at__isnull=True,
    )


def sla_clock_start(
    *,
    code: str,
    obj: models.Model,
    started_at: datetime | None = None,
    due_at: datetime | None = None,
    note: str = "",
) -> SlaClock | None:
    """Start the ``code`` clock on ``obj``; returns the running clock.

    The due time is ``started_at`` (default: now) plus the policy's limit in working time,
    unless ``due_at`` is given; a deadline policy (no limit) needs ``due_at`` (else
    ``SlaError``, an ``ApplicationError``).
    Already running for this object: the running clock is returned unchanged.
    Inactive policy: no clock is started and None is returned (switching a policy off
    stops new clocks; clocks already running run on and are still swept).
    """
    policy = _policy(code)
    if not policy.active:
        return None
    if obj.pk is None:
        raise SlaError(_("An SLA clock needs a saved object."))
    started = started_at or timezone.now()
    with transaction.atomic():
        existing = _running(policy, obj).first()
        if existing is not None:
            return existing
        if due_at is None:
            due_at = _due(policy, started)
        # A deadline already past when the clock starts (a batch cut late) is allowed:
        # the clock is overdue at once and the next sweep reports it.
        try:
            with transaction.atomic():
                return SlaClock.objects.create(
                    policy=policy,
                    content_type=ContentType.objects.get_for_model(obj),
                    object_id=obj.pk,
                    owner_role=policy.owner_role,
                    started_at=started,
                    due_at=due_at,
                    note=note,
                )
        except IntegrityError:
            # A concurrent start won the partial unique constraint: return its clock.
            return _running(policy, obj).get()


@dataclass(frozen=True)
class ClockStart:
    """One clock for ``sla_clocks_start_all``: the policy, the object, when it started and,
    for work done as the object was created, when it stopped."""

    code: str
    object_id: int
    started_at: datetime
    stopped_at: datetime | None = None


def sla_clocks_start_new(
    *,
    code: str,
    model: type[models.Model],
    starts: list[tuple[int, datetime]],
    stopped_at: datetime | None = None,
) -> int:
    """Start the ``code`` clock on many objects that have none yet (just created), in one
    insert: ``starts`` holds (object pk, started at). With ``stopped_at`` the clocks are
    written already stopped then (work done as the objects were created, e.g. a customer
    identified on arrival), a breach recorded as ``sla_clock_stop`` would. Returns how many
    clocks were written (none when the policy is switched off)."""
    return sla_clocks_start_all(
        model=model,
        starts=[ClockStart(code, object_id, started, stopped_at) for object_id, started in starts],
    )


def sla_clocks_start_all(*, model: type[models.Model], starts: list[ClockStart]) -> int:
    """``sla_clocks_start_new`` for clocks of several policies at once: one insert for all
    of them (an order arriving with its customer matched gets its identification clock
    stopped and its sales order clock started together)."""
    content_type = ContentType.objects.get_for_model(model)
    clocks = []
    for start in starts:
        policy = _policy(start.code)
        if not policy.active:
            continue
        due = _due(policy, start.started_at)
        late = start.stopped_at is not None and start.stopped_at > due
        clocks.append(
            SlaClock(
                policy=policy,
                content_type=content_type,
                object_id=start.object_id,
                owner_role=policy.owner_role,
                started_at=start.started_at,
                due_at=due,
                stopped_at=start.stopped_at,
                breached_at=due if late else None,
            )
        )
    if not clocks:
        return 0
    SlaClock.objects.bulk_create(clocks, batch_size=2000)
    for clock in clocks:
        if clock.breached_at is not None:
            sla_breached.send(sender=SlaClock, clock=clock)
    return len(clocks)


def sla_clock_stop(
    *, code: str, obj: models.Model, stopped_at: datetime | None = None
) -> SlaClock | None:
    """Stop the running ``code`` clock of ``obj``; None when none is running.

    Stopped after its due time and not yet marked by the sweep: the breach is recorded
    (``breached_at = due_at``) and ``sla_breached`` is sent, without notifying the owner
    (the work is done by now).
    """
    policy = _policy(code)
    stopped = stopped_at or timezone.now()
    with transaction.atomic():
        clock = _running(policy, obj).select_for_update().first()
        if clock is None:
            return None
        clock.policy = policy
        clock.stopped_at = stopped
        late_unmarked = stopped > clock.due_at and clock.breached_at is None
        if late_unmarked:
            clock.breached_at = clock.due_at
        clock.save(update_fields=["stopped_at", "breached_at"])
        if late_unmarked:
            sla_breached.send(sender=SlaClock, clock=clock)
    return clock


def sla_clocks_stop_many(
    *,
    code: str,
    model: type[models.Model],
    object_ids: Iterable[int],
    stopped_at: datetime | None = None,
) -> int:
    """Stop the running ``code`` clocks of many objects at once (bulk confirmation, a wave
    of notes packed): ``sla_clock_stop`` for each, in two statements whatever their number.
    Clocks already late and not yet marked by the sweep get their breach recorded and
    ``sla_breached`` sent, as one stop would. Returns how many clocks were stopped."""
    policy = _policy(code)
    stopped = stopped_at or timezone.now()
    ids = list(object_ids)
    if not ids:
        return 0
    running = SlaClock.objects.filter(
        policy=policy,
        content_type=ContentType.objects.get_for_model(model),
        object_id__in=ids,
        stopped_at__isnull=True,
    )
    with transaction.atomic():
        late = list(
            running.filter(due_at__lt=stopped, breached_at__isnull=True)
            .select_for_update()
            .order_by("pk")
        )
        if late:
            SlaClock.objects.filter(pk__in=[c.pk for c in late]).update(
                breached_at=models.F("due_at")
            )
        count = running.update(stopped_at=stopped)
    for clock in late:
        clock.policy = policy
        clock.stopped_at = stopped
        clock.breached_at = clock.due_at
        sla_breached.send(sender=SlaClock, clock=clock)
    return count


def sla_sweep(*, now: datetime | None = None, batch_size: int = 500) -> int:
    """Mark running clocks past due as breached; returns how many were marked now.

    "Past due" is strictly after ``due_at``, as a clock stopped at its due time is met.

    Each clock is claimed under ``select_for_update(skip_locked=True)`` on ``breached_at IS
    NULL``, so concurrent or repeated sweeps mark (and notify) each breach once; the
    notification key makes a repeat harmless too. One transaction per batch: a crash loses
    at most one batch, and the next minute's sweep resumes.
    """
    moment = now or timezone.now()
    marked = 0
    failed: set[int] = set()
    while True:
        with transaction.atomic():
            ids = list(
                SlaClock.objects.select_for_update(skip_locked=True)
                .filter(stopped_at__isnull=True, breached_at__isnull=True, due_at__lt=moment)
                .exclude(pk__in=failed)
                .order_by("due_at", "pk")
                .values_list("pk", flat=True)[:batch_size]
            )
            clocks = (
                SlaClock.objects.filter(pk__in=ids)
                .select_related("policy", "content_type")
                .prefetch_related("content_object")
                .order_by("due_at", "pk")
            )
            for clock in clocks:
                try:
                    with transaction.atomic():
                        _mark_breached(clock, moment)
                except Exception:
                    # One failing receiver must not hold up every other breach; this clock
                    # stays unmarked, so each minute's sweep retries it (and logs again).
                    logger.exception("SLA sweep could not mark clock %s", clock.pk)
                    failed.add(clock.pk)
                else:
                    marked += 1
        if len(ids) < batch_size:
            break
    if marked:
        logger.info("SLA sweep marked %d clock(s) as breached", marked)
    return marked


def _mark_breached(clock: SlaClock, moment: datetime) -> None:
    clock.breached_at = moment
    clock.save(update_fields=["breached_at"])
    _notify_breach(clock)
    sla_breached.send(sender=SlaClock, clock=clock)


def _notify_breach(clock: SlaClock) -> None:
    obj = clock.content_object
    get_url = getattr(obj, "get_absolute_url", None)
    url = ""
    if callable(get_url):
        try:
            url = str(get_url())
        except Exception:  # a broken link must not stop the sweep
            logger.exception("get_absolute_url failed for SLA clock %s", clock.pk)
    local_due = timezone.localtime(clock.due_at)
    notify_role(
        role=clock.owner_role,
        title=(
            _("Overdue: %(policy)s — %(object)s")
            % {"policy": clock.policy.name, "object": obj if obj is not None else clock.object_id}
        )[:200],
        body=_("Due at %(due)s; owner: %(role)s.")
        % {"due": local_due.strftime("%Y-%m-%d %H:%M"), "role": role_label(clock.owner_role)},
        url=url,
        level="danger",
        key=f"sla-breach-{clock.pk}",
    )
