"""Starting, stopping and sweeping SLA clocks (DESIGN §4, §7).

Every service here is idempotent: starting a running clock returns it, stopping a clock
that is not running does nothing, and the sweep marks and notifies each breach once.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ecomops import rows
from ecomops.accounts.roles import ROLES, RoleCode, role_label
from ecomops.accounts.selectors import department_head, users_with_role
from ecomops.calendar import add_working_time, working_time_between
from ecomops.errors import ApplicationError
from ecomops.notifications.services import notify_role, notify_users

from .formatting import format_working_time
from .models import SlaClock, SlaPolicy
from .selectors import SlaReportRow, sla_report_rows
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


def _warn_at(policy: SlaPolicy, started: datetime, due: datetime) -> datetime:
    """The policy's warning point for a clock from ``started`` to ``due``: its share of the
    limit, or for a deadline policy of the working time between start and due (never after
    the due time)."""
    total = policy.limit if policy.limit is not None else working_time_between(started, due)
    if total <= timedelta(0):
        return due
    passed = timedelta(seconds=round(total.total_seconds() * policy.warning_percent / 100))
    return min(add_working_time(started, passed), due)


def _escalate_at(policy: SlaPolicy, due: datetime) -> datetime:
    """The due time plus the policy's escalation delay, in working time."""
    return add_working_time(due, policy.escalation_delay)


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
                    warn_at=_warn_at(policy, started, due_at),
                    escalate_at=_escalate_at(policy, due_at),
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
    # A deadline policy's due time (no limit): given by the starter, as to sla_clock_start.
    due_at: datetime | None = None


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


def sla_clocks_start_all(
    *,
    model: type[models.Model],
    starts: list[ClockStart],
    together: Sequence[Sequence[models.Model]] = (),
) -> int:
    """``sla_clocks_start_new`` for clocks of several policies at once: one insert for all
    of them (an order arriving with its customer matched gets its identification clock
    stopped and its sales order clock started together).

    ``together``: lists of the caller's own new objects, written in the same statement as
    the clocks (``rows.insert_all``): a pushed order's lines and its clocks take one round
    trip to the database. Their keys are set on them as ``rows.insert`` sets them."""
    content_type = ContentType.objects.get_for_model(model)
    clocks = []
    # The clocks of one push or page mostly share their start: its times are computed once.
    times: dict[
        tuple[str, datetime, bool, datetime | None],
        tuple[datetime, datetime | None, datetime | None],
    ]
    times = {}
    for start in starts:
        policy = _policy(start.code)
        if not policy.active:
            continue
        running = start.stopped_at is None
        key = (policy.code, start.started_at, running, start.due_at)
        if key not in times:
            due = start.due_at or _due(policy, start.started_at)
            # A clock stopped as it starts is never warned nor escalated.
            times[key] = (
                due,
                _warn_at(policy, start.started_at, due) if running else None,
                _escalate_at(policy, due) if running else None,
            )
        due, warn_at, escalate_at = times[key]
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
                warn_at=warn_at,
                escalate_at=escalate_at,
            )
        )
    rows.insert_all([*together, clocks])
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


def _object_url(clock: SlaClock) -> str:
    get_url = getattr(clock.content_object, "get_absolute_url", None)
    if not callable(get_url):
        return ""
    try:
        return str(get_url())
    except Exception:  # a broken link must not stop the sweep
        logger.exception("get_absolute_url failed for SLA clock %s", clock.pk)
        return ""


def _object_label(clock: SlaClock) -> object:
    obj = clock.content_object
    return obj if obj is not None else clock.object_id


def _local(moment: datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def _notify_breach(clock: SlaClock) -> None:
    notify_role(
        role=clock.owner_role,
        title=(
            _("Overdue: %(policy)s — %(object)s")
            % {"policy": clock.policy.name, "object": _object_label(clock)}
        )[:200],
        body=_("Due at %(due)s; owner: %(role)s.")
        % {"due": _local(clock.due_at), "role": role_label(clock.owner_role)},
        url=_object_url(clock),
        level="danger",
        key=f"sla-breach-{clock.pk}",
    )


# --- warnings and escalations (issue 25 §1) ----------------------------------------------


def _claim_each(
    *,
    candidates: models.Q,
    order_by: str,
    act: Callable[[SlaClock], None],
    what: str,
    batch_size: int,
) -> int:
    """Claim the clocks matching ``candidates`` batch by batch under
    ``select_for_update(skip_locked=True)`` and ``act`` on each in its own savepoint;
    ``act`` stamps the clock so it no longer matches. Concurrent sweeps skip each other's
    rows and a repeat finds nothing: each clock is acted on once. A clock whose ``act``
    fails stays unstamped for the next minute's sweep (and is logged)."""
    done = 0
    failed: set[int] = set()
    while True:
        with transaction.atomic():
            ids = list(
                SlaClock.objects.select_for_update(skip_locked=True)
                .filter(candidates)
                .exclude(pk__in=failed)
                .order_by(order_by, "pk")
                .values_list("pk", flat=True)[:batch_size]
            )
            clocks = (
                SlaClock.objects.filter(pk__in=ids)
                .select_related("policy", "content_type")
                .prefetch_related("content_object")
                .order_by(order_by, "pk")
            )
            for clock in clocks:
                try:
                    with transaction.atomic():
                        act(clock)
                except Exception:
                    logger.exception("SLA sweep could not %s clock %s", what, clock.pk)
                    failed.add(clock.pk)
                else:
                    done += 1
        if len(ids) < batch_size:
            break
    return done


def sla_clocks_plan(*, batch_size: int = 2000) -> int:
    """Give running clocks written without them (bulk inserts outside these services, clocks
    from before warnings existed) their warning and escalation points, from their policy
    as it is now. Safe to run concurrently: two runs write the same values."""
    planned = 0
    while True:
        clocks = list(
            SlaClock.objects.filter(stopped_at__isnull=True, warn_at__isnull=True)
            .select_related("policy")
            .order_by("started_at", "pk")[:batch_size]
        )
        for clock in clocks:
            clock.warn_at = _warn_at(clock.policy, clock.started_at, clock.due_at)
            clock.escalate_at = _escalate_at(clock.policy, clock.due_at)
        SlaClock.objects.bulk_update(clocks, ["warn_at", "escalate_at"], batch_size=500)
        planned += len(clocks)
        if len(clocks) < batch_size:
            return planned


def sla_warn(*, now: datetime | None = None, batch_size: int = 500) -> int:
    """Warn the owner role of each running clock past its warning point and not yet due:
    once, in the portal and by e-mail, with the working time left. Returns how many clocks
    were warned now.

    A clock already past due is the breach sweep's (``sla_sweep``), not warned any more;
    ``warned_at`` stamps the warning under the sweep's claim.
    """
    moment = now or timezone.now()
    sla_clocks_plan()

    def warn(clock: SlaClock) -> None:
        clock.warned_at = moment
        clock.save(update_fields=["warned_at"])
        _notify_warning(clock, moment)

    warned = _claim_each(
        candidates=models.Q(
            stopped_at__isnull=True,
            warned_at__isnull=True,
            breached_at__isnull=True,
            warn_at__lte=moment,
            due_at__gte=moment,
        ),
        order_by="warn_at",
        act=warn,
        what="warn",
        batch_size=batch_size,
    )
    if warned:
        logger.info("SLA sweep warned %d clock(s)", warned)
    return warned


def _notify_warning(clock: SlaClock, moment: datetime) -> None:
    left = format_working_time(clock.time_left(moment))
    notify_role(
        role=clock.owner_role,
        title=(
            _("%(left)s left: %(policy)s — %(object)s")
            % {"left": left, "policy": clock.policy.name, "object": _object_label(clock)}
        )[:200],
        body=_("%(left)s of working time left; due at %(due)s; owner: %(role)s.")
        % {"left": left, "due": _local(clock.due_at), "role": role_label(clock.owner_role)},
        url=_object_url(clock),
        level="warning",
        key=f"sla-warning-{clock.pk}",
    )


def escalation_recipients(owner_role: str) -> list[object]:
    """Who an escalated breach goes to: the head of the owner role's department (when it
    has an active one) and every manager, each once."""
    role = ROLES.get(owner_role)
    people: dict[int, object] = {}
    head = department_head(role.department) if role is not None else None
    if head is not None:
        people[head.pk] = head
    for manager in users_with_role(RoleCode.MANAGER).order_by("pk"):
        people.setdefault(manager.pk, manager)
    return list(people.values())


def sla_escalate(*, now: datetime | None = None, batch_size: int = 500) -> int:
    """Send each breach still running past its escalation point (the due time plus the
    policy's escalation delay, in working time) to the owner department's head and the
    managers, once; returns how many clocks were escalated now. Only clocks the breach
    sweep has marked are escalated: the owner was told first."""
    moment = now or timezone.now()
    sla_clocks_plan()

    def escalate(clock: SlaClock) -> None:
        clock.escalated_at = moment
        clock.save(update_fields=["escalated_at"])
        _notify_escalation(clock, moment)

    escalated = _claim_each(
        candidates=models.Q(
            stopped_at__isnull=True,
            breached_at__isnull=False,
            escalated_at__isnull=True,
            escalate_at__lte=moment,
        ),
        order_by="escalate_at",
        act=escalate,
        what="escalate",
        batch_size=batch_size,
    )
    if escalated:
        logger.info("SLA sweep escalated %d clock(s)", escalated)
    return escalated


def _notify_escalation(clock: SlaClock, moment: datetime) -> None:
    role = ROLES.get(clock.owner_role)
    notify_users(
        users=escalation_recipients(clock.owner_role),
        title=(
            _("Escalated: %(policy)s — %(object)s")
            % {"policy": clock.policy.name, "object": _object_label(clock)}
        )[:200],
        body=_(
            "Overdue by %(late)s of working time (due at %(due)s) and still open; owner: "
            "%(role)s (%(department)s)."
        )
        % {
            "late": format_working_time(clock.time_left(moment)),
            "due": _local(clock.due_at),
            "role": role_label(clock.owner_role),
            "department": role.department.label if role is not None else "—",
        },
        url=_object_url(clock),
        level="danger",
        key=f"sla-escalation-{clock.pk}",
    )


# --- the daily report -------------------------------------------------------------------


def sla_report_text(rows: list[SlaReportRow]) -> str:
    """The report as lines of text, one per policy (the e-mail and the portal message)."""
    return "\n".join(
        _(
            "%(policy)s: %(started)d started, %(met)d met, %(warned)d warned, "
            "%(breached)d breached, %(escalated)d escalated"
        )
        % {
            "policy": row.policy_name,
            "started": row.started,
            "met": row.met,
            "warned": row.warned,
            "breached": row.breached,
            "escalated": row.escalated,
        }
        for row in rows
    )


def sla_report_send(*, day: date) -> int:
    """Send the managers the SLA report of ``day`` (company time): per policy, the clocks
    started, met, warned, breached and escalated that day. Once per day and manager (a
    repeat or late run sends nothing twice); nothing when no clock did anything that day.
    Returns how many managers were told now."""
    rows = [row for row in sla_report_rows(day) if row.any]
    if not rows:
        return 0
    created = notify_role(
        role=RoleCode.MANAGER,
        title=_(
            "SLA report %(day)s: %(warned)d warned, %(breached)d breached, %(escalated)d escalated"
        )
        % {
            "day": day.isoformat(),
            "warned": sum(r.warned for r in rows),
            "breached": sum(r.breached for r in rows),
            "escalated": sum(r.escalated for r in rows),
        },
        body=sla_report_text(rows),
        url="/admin/sla/slaclock/",
        level="info",
        key=f"sla-report-{day.isoformat()}",
    )
    return len(created)


def sla_report_send_yesterday(*, now: datetime | None = None) -> int:
    """The daily report for the day before ``now`` (company time)."""
    today = timezone.localdate(now or timezone.now())
    return sla_report_send(day=today - timedelta(days=1))
