"""SLA clocks: due times in working time, start/stop, the breach sweep, queues, badges."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.template import Context, Template
from django.utils import translation

from ecomops.accounts.roles import Department
from ecomops.errors import ApplicationError
from ecomops.notifications.models import Notification
from ecomops.sla.models import SlaClock, SlaPolicy
from ecomops.sla.selectors import annotate_sla, breached_running_clocks, clocks_for
from ecomops.sla.services import (
    sla_clock_start,
    sla_clock_stop,
    sla_clocks_stop_many,
    sla_sweep,
)
from ecomops.sla.signals import sla_breached
from ecomops.sla.tasks import sweep_sla_clocks
from ecomops.sla.templatetags.sla_tags import countdown_context, format_working_time

pytestmark = pytest.mark.django_db

SH = ZoneInfo("Asia/Shanghai")


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SH)


@pytest.fixture
def target() -> Group:
    """Any saved model instance can carry clocks (generic relation)."""
    return Group.objects.create(name="sla-target")


@pytest.fixture
def breaches() -> Any:
    received: list[SlaClock] = []

    def receiver(sender: Any, clock: SlaClock, **kwargs: Any) -> None:
        received.append(clock)

    sla_breached.connect(receiver, dispatch_uid="test-sla-breaches")
    yield received
    sla_breached.disconnect(dispatch_uid="test-sla-breaches")


# --- policies --------------------------------------------------------------------------


def test_default_policies_are_seeded() -> None:
    policies = {p.code: p for p in SlaPolicy.objects.all()}
    assert policies["customer_identification"].limit == timedelta(minutes=15)
    assert policies["customer_identification"].owner_role == "sales_rep"
    assert policies["customer_identification"].owner_department == Department.ECOMMERCE
    assert policies["sales_order"].limit == timedelta(minutes=30)
    assert policies["delivery_note"].limit == timedelta(hours=1)
    assert policies["delivery_note"].owner_role == "bu_parts_admin"
    assert policies["batch_processed"].limit is None
    assert policies["batch_processed"].owner_role == "warehouse_admin"
    assert policies["invoice_issued"].limit is None
    assert policies["invoice_issued"].owner_department == Department.FINANCE
    assert policies["listing_review"].limit == timedelta(hours=8)
    assert policies["listing_review"].owner_role == "listing_reviewer"
    assert policies["return_review"].limit == timedelta(hours=4)
    assert policies["return_review"].owner_role == "aftersales_service"
    assert all(p.active for p in policies.values())


# --- due times in working time -------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "started", "due"),
    [
        # within working hours
        ("customer_identification", at(2026, 11, 23, 10, 0), at(2026, 11, 23, 10, 15)),
        # Saturday is a working day; Sunday is not: Saturday 17:50 + 15 min -> Monday 09:05
        ("customer_identification", at(2026, 11, 21, 17, 50), at(2026, 11, 23, 9, 5)),
        # across closing time on a weekday
        ("sales_order", at(2026, 11, 23, 17, 45), at(2026, 11, 24, 9, 15)),
        # started before opening: the clock runs from 09:00
        ("delivery_note", at(2026, 11, 24, 7, 30), at(2026, 11, 24, 10, 0)),
        # across the National Day holiday (2026-10-01..07)
        ("customer_identification", at(2026, 9, 30, 17, 50), at(2026, 10, 8, 9, 5)),
    ],
)
def test_due_time_is_counted_in_working_time(
    target: Group, code: str, started: datetime, due: datetime
) -> None:
    clock = sla_clock_start(code=code, obj=target, started_at=started)
    assert clock is not None
    assert clock.due_at == due
    assert clock.started_at == started
    assert clock.owner_role == SlaPolicy.objects.get(code=code).owner_role


def test_started_at_defaults_to_now(target: Group) -> None:
    with time_machine.travel(at(2026, 11, 23, 10, 0), tick=False):
        clock = sla_clock_start(code="customer_identification", obj=target)
    assert clock is not None
    assert clock.started_at == at(2026, 11, 23, 10, 0)
    assert clock.due_at == at(2026, 11, 23, 10, 15)


def test_start_is_idempotent(target: Group) -> None:
    first = sla_clock_start(
        code="customer_identification", obj=target, started_at=at(2026, 11, 23, 10, 0)
    )
    again = sla_clock_start(
        code="customer_identification", obj=target, started_at=at(2026, 11, 23, 11, 0)
    )
    assert first is not None
    assert again is not None
    assert again.pk == first.pk
    assert again.due_at == at(2026, 11, 23, 10, 15)
    assert SlaClock.objects.count() == 1


def test_other_policies_and_objects_run_their_own_clocks(target: Group) -> None:
    other = Group.objects.create(name="other-target")
    start = at(2026, 11, 23, 10, 0)
    sla_clock_start(code="customer_identification", obj=target, started_at=start)
    sla_clock_start(code="sales_order", obj=target, started_at=start)
    sla_clock_start(code="customer_identification", obj=other, started_at=start)
    assert SlaClock.objects.count() == 3
    assert [c.policy.code for c in clocks_for(target)] == [
        "customer_identification",
        "sales_order",
    ]


def test_a_clock_can_run_again_after_it_stopped(target: Group) -> None:
    sla_clock_start(code="sales_order", obj=target, started_at=at(2026, 11, 23, 10, 0))
    sla_clock_stop(code="sales_order", obj=target, stopped_at=at(2026, 11, 23, 10, 5))
    second = sla_clock_start(code="sales_order", obj=target, started_at=at(2026, 11, 23, 11, 0))
    assert second is not None
    assert second.is_running
    assert clocks_for(target).count() == 2


def test_deadline_policy_needs_a_due_time(target: Group) -> None:
    with pytest.raises(ApplicationError):
        sla_clock_start(code="invoice_issued", obj=target, started_at=at(2026, 11, 23, 10, 0))
    clock = sla_clock_start(
        code="invoice_issued",
        obj=target,
        started_at=at(2026, 11, 23, 10, 0),
        due_at=at(2026, 11, 23, 15, 0),
    )
    assert clock is not None
    assert clock.due_at == at(2026, 11, 23, 15, 0)


def test_due_time_given_overrides_the_limit(target: Group) -> None:
    clock = sla_clock_start(
        code="sales_order",
        obj=target,
        started_at=at(2026, 11, 23, 10, 0),
        due_at=at(2026, 11, 23, 12, 0),
    )
    assert clock is not None
    assert clock.due_at == at(2026, 11, 23, 12, 0)


def test_unknown_policy_is_an_application_error(target: Group) -> None:
    with pytest.raises(ApplicationError):
        sla_clock_start(code="no_such_policy", obj=target)


def test_inactive_policy_starts_no_clock(target: Group) -> None:
    SlaPolicy.objects.filter(code="return_review").update(active=False)
    assert sla_clock_start(code="return_review", obj=target) is None
    assert not SlaClock.objects.exists()


def test_owner_is_copied_at_start(target: Group) -> None:
    clock = sla_clock_start(code="sales_order", obj=target, started_at=at(2026, 11, 23, 10, 0))
    SlaPolicy.objects.filter(code="sales_order").update(owner_role="shop_manager")
    assert clock is not None
    clock.refresh_from_db()
    assert clock.owner_role == "sales_rep"


# --- stopping ----------------------------------------------------------------------------


def test_stop_before_due_is_met(target: Group, breaches: list[SlaClock]) -> None:
    sla_clock_start(code="customer_identification", obj=target, started_at=at(2026, 11, 23, 10, 0))
    clock = sla_clock_stop(
        code="customer_identification", obj=target, stopped_at=at(2026, 11, 23, 10, 15)
    )
    assert clock is not None
    assert not clock.is_running
    assert clock.met
    assert not clock.is_breached
    assert clock.breached_at is None
    assert clock.status == SlaClock.Status.MET
    assert clock.time_left() == timedelta(0)
    assert breaches == []


def test_stop_after_due_is_missed(target: Group, breaches: list[SlaClock]) -> None:
    sla_clock_start(code="customer_identification", obj=target, started_at=at(2026, 11, 23, 17, 50))
    # due Tuesday 09:05; stopped Tuesday 09:20: 15 working minutes late
    clock = sla_clock_stop(
        code="customer_identification", obj=target, stopped_at=at(2026, 11, 24, 9, 20)
    )
    assert clock is not None
    assert not clock.met
    assert clock.is_breached
    assert clock.breached_at == clock.due_at == at(2026, 11, 24, 9, 5)
    assert clock.status == SlaClock.Status.MISSED
    assert clock.time_left() == -timedelta(minutes=15)
    assert [c.pk for c in breaches] == [clock.pk]


def test_stop_is_idempotent(target: Group) -> None:
    assert sla_clock_stop(code="sales_order", obj=target) is None
    sla_clock_start(code="sales_order", obj=target, started_at=at(2026, 11, 23, 10, 0))
    first = sla_clock_stop(code="sales_order", obj=target, stopped_at=at(2026, 11, 23, 10, 10))
    assert first is not None
    assert sla_clock_stop(code="sales_order", obj=target) is None
    first.refresh_from_db()
    assert first.stopped_at == at(2026, 11, 23, 10, 10)


def test_stop_many_stops_each_running_clock_and_records_the_late_ones(
    breaches: list[SlaClock], django_assert_max_num_queries: Any
) -> None:
    groups = [Group.objects.create(name=f"sla-many-{n}") for n in range(4)]
    early, late, marked, other = groups
    sla_clock_start(code="customer_identification", obj=early, started_at=at(2026, 11, 23, 10, 0))
    sla_clock_start(code="customer_identification", obj=late, started_at=at(2026, 11, 23, 9, 0))
    sla_clock_start(code="customer_identification", obj=marked, started_at=at(2026, 11, 23, 9, 0))
    sla_sweep(now=at(2026, 11, 23, 9, 30))  # marks late and marked; early is not due yet
    SlaClock.objects.filter(object_id=late.pk).update(breached_at=None)
    sla_clock_start(code="sales_order", obj=other, started_at=at(2026, 11, 23, 9, 0))
    breaches.clear()

    # the late ones read and marked, then every clock stopped (and the savepoint pair)
    with django_assert_max_num_queries(5):
        stopped = sla_clocks_stop_many(
            code="customer_identification",
            model=Group,
            object_ids=[g.pk for g in groups],
            stopped_at=at(2026, 11, 23, 10, 10),
        )

    assert stopped == 3
    identification = SlaClock.objects.filter(policy__code="customer_identification")
    clocks = {c.object_id: c for c in identification}
    assert all(c.stopped_at == at(2026, 11, 23, 10, 10) for c in clocks.values())
    assert clocks[early.pk].met
    assert clocks[late.pk].breached_at == clocks[late.pk].due_at
    assert clocks[marked.pk].breached_at == at(2026, 11, 23, 9, 30)  # the sweep's mark stays
    assert [c.pk for c in breaches] == [clocks[late.pk].pk]
    assert SlaClock.objects.get(object_id=other.pk).is_running  # another policy's clock
    assert (
        sla_clocks_stop_many(code="customer_identification", model=Group, object_ids=[early.pk])
        == 0
    )


def test_policies_are_read_once_per_process_until_one_is_saved(
    target: Group, django_assert_num_queries: Any
) -> None:
    sla_clock_start(code="sales_order", obj=target, started_at=at(2026, 11, 23, 10, 0))
    other = Group.objects.create(name="sla-other")
    # The policy comes from the process's copy: no query reads it.
    with django_assert_num_queries(6, exact=False) as queries:
        sla_clock_start(code="sales_order", obj=other, started_at=at(2026, 11, 23, 10, 0))
    assert not [q for q in queries.captured_queries if "sla_slapolicy" in q["sql"]]

    policy = SlaPolicy.objects.get(code="sales_order")
    policy.limit = timedelta(minutes=45)
    policy.save()  # the admin saves: this process reads the policies again
    third = Group.objects.create(name="sla-third")
    clock = sla_clock_start(code="sales_order", obj=third, started_at=at(2026, 11, 23, 10, 0))
    assert clock is not None
    assert clock.due_at == at(2026, 11, 23, 10, 45)


def test_time_left_and_status_of_a_running_clock(target: Group) -> None:
    clock = sla_clock_start(code="sales_order", obj=target, started_at=at(2026, 11, 23, 17, 45))
    assert clock is not None
    # due Tuesday 09:15: at 08:00 on Tuesday, 15 working minutes are left
    assert clock.time_left(at(2026, 11, 24, 8, 0)) == timedelta(minutes=15)
    assert clock.time_left(at(2026, 11, 24, 9, 45)) == -timedelta(minutes=30)
    assert clock.status_at(at(2026, 11, 23, 17, 50)) == SlaClock.Status.RUNNING
    assert clock.status_at(at(2026, 11, 24, 9, 45)) == SlaClock.Status.BREACHED
    with time_machine.travel(at(2026, 11, 23, 17, 50), tick=False):
        assert clock.status == SlaClock.Status.RUNNING
        assert not clock.is_breached


# --- the breach sweep -------------------------------------------------------------------


def test_sweep_marks_and_notifies_once(
    target: Group, make_user: Callable[..., Any], breaches: list[SlaClock]
) -> None:
    rep = make_user("sales_rep")
    other = make_user("packer")
    clock = sla_clock_start(
        code="customer_identification", obj=target, started_at=at(2026, 11, 23, 10, 0)
    )
    assert clock is not None

    # not yet due (due 10:15)
    assert sla_sweep(now=at(2026, 11, 23, 10, 15)) == 0
    assert not Notification.objects.exists()

    with time_machine.travel(at(2026, 11, 23, 10, 17), tick=False):
        assert sla_sweep() == 1
        assert sla_sweep() == 0
    assert sla_sweep(now=at(2026, 11, 23, 11, 0)) == 0

    clock.refresh_from_db()
    assert clock.breached_at == at(2026, 11, 23, 10, 17)
    assert clock.due_at == at(2026, 11, 23, 10, 15)
    assert clock.is_running
    assert clock.is_breached
    notes = Notification.objects.filter(recipient=rep)
    assert notes.count() == 1
    note = notes.get()
    assert note.level == Notification.Level.DANGER
    assert note.key == f"sla-breach-{clock.pk}"
    assert not Notification.objects.filter(recipient=other).exists()
    assert [c.pk for c in breaches] == [clock.pk]
    assert list(breached_running_clocks()) == [clock]
    assert list(breached_running_clocks(role="sales_rep")) == [clock]
    assert list(breached_running_clocks(role="finance_clerk")) == []


def test_sweep_ignores_stopped_clocks(target: Group, make_user: Callable[..., Any]) -> None:
    make_user("sales_rep")
    sla_clock_start(code="customer_identification", obj=target, started_at=at(2026, 11, 23, 10, 0))
    sla_clock_stop(code="customer_identification", obj=target, stopped_at=at(2026, 11, 23, 10, 5))
    assert sla_sweep(now=at(2026, 11, 24, 12, 0)) == 0
    assert not Notification.objects.exists()


def test_sweep_works_in_batches(make_user: Callable[..., Any]) -> None:
    rep = make_user("sales_rep")
    for i in range(5):
        group = Group.objects.create(name=f"batch-{i}")
        sla_clock_start(
            code="customer_identification", obj=group, started_at=at(2026, 11, 23, 10, i)
        )
    assert sla_sweep(now=at(2026, 11, 23, 12, 0), batch_size=2) == 5
    assert SlaClock.objects.filter(breached_at__isnull=True).count() == 0
    assert Notification.objects.filter(recipient=rep).count() == 5


def test_a_failing_receiver_holds_up_only_its_clock(make_user: Callable[..., Any]) -> None:
    rep = make_user("sales_rep")
    bad = Group.objects.create(name="bad")
    good = Group.objects.create(name="good")
    for group in (bad, good):
        sla_clock_start(
            code="customer_identification", obj=group, started_at=at(2026, 11, 23, 10, 0)
        )

    def receiver(sender: Any, clock: SlaClock, **kwargs: Any) -> None:
        if clock.object_id == bad.pk:
            raise RuntimeError("receiver bug")

    sla_breached.connect(receiver, dispatch_uid="test-sla-failing")
    try:
        assert sla_sweep(now=at(2026, 11, 23, 12, 0), batch_size=1) == 1
    finally:
        sla_breached.disconnect(dispatch_uid="test-sla-failing")
    assert [c.object_id for c in SlaClock.objects.filter(breached_at__isnull=True)] == [bad.pk]
    assert Notification.objects.filter(recipient=rep).count() == 1

    assert sla_sweep(now=at(2026, 11, 23, 12, 1)) == 1
    assert Notification.objects.filter(recipient=rep).count() == 2


def test_breach_is_notified_to_the_owner_at_start(
    target: Group, make_user: Callable[..., Any]
) -> None:
    rep = make_user("sales_rep")
    manager = make_user("shop_manager")
    sla_clock_start(code="sales_order", obj=target, started_at=at(2026, 11, 23, 10, 0))
    SlaPolicy.objects.filter(code="sales_order").update(owner_role="shop_manager")
    sla_sweep(now=at(2026, 11, 23, 12, 0))
    assert Notification.objects.filter(recipient=rep).count() == 1
    assert not Notification.objects.filter(recipient=manager).exists()


def test_task_runs_the_sweep(target: Group, make_user: Callable[..., Any]) -> None:
    rep = make_user("sales_rep")
    sla_clock_start(code="customer_identification", obj=target, started_at=at(2026, 11, 23, 10, 0))
    with time_machine.travel(at(2026, 11, 23, 11, 0), tick=False):
        assert sweep_sla_clocks.delay().get() == 1
        assert sweep_sla_clocks.delay().get() == 0
    assert Notification.objects.filter(recipient=rep).count() == 1


# --- queues -----------------------------------------------------------------------------


def test_annotate_sla_sorts_by_time_left() -> None:
    a = Group.objects.create(name="a-late")
    b = Group.objects.create(name="b-soon")
    c = Group.objects.create(name="c-none")
    sla_clock_start(code="sales_order", obj=a, started_at=at(2026, 11, 23, 11, 0))
    sla_clock_start(code="sales_order", obj=b, started_at=at(2026, 11, 23, 10, 0))
    # another policy's clock does not count
    sla_clock_start(code="customer_identification", obj=a, started_at=at(2026, 11, 23, 9, 0))

    queue = annotate_sla(
        Group.objects.filter(name__in=["a-late", "b-soon", "c-none"]), "sales_order"
    )
    # the stubs cannot see annotations added by a helper
    rows = list(queue.filter(sla_due_at__isnull=False).order_by("sla_due_at"))  # type: ignore[misc]
    assert [g.name for g in rows] == ["b-soon", "a-late"]
    assert rows[0].sla_due_at == at(2026, 11, 23, 10, 30)  # type: ignore[attr-defined]
    assert rows[0].sla_stopped_at is None  # type: ignore[attr-defined]
    assert rows[0].sla_breached_at is None  # type: ignore[attr-defined]
    plain = annotate_sla(Group.objects.filter(pk=c.pk), "sales_order").get()
    assert plain.sla_due_at is None  # type: ignore[attr-defined]


def test_annotate_sla_uses_the_latest_clock(target: Group) -> None:
    sla_clock_start(code="sales_order", obj=target, started_at=at(2026, 11, 23, 10, 0))
    sla_clock_stop(code="sales_order", obj=target, stopped_at=at(2026, 11, 23, 10, 5))
    sla_clock_start(code="sales_order", obj=target, started_at=at(2026, 11, 23, 14, 0))
    row = annotate_sla(Group.objects.filter(pk=target.pk), "sales_order").get()
    assert row.sla_due_at == at(2026, 11, 23, 14, 30)  # type: ignore[attr-defined]
    assert row.sla_stopped_at is None  # type: ignore[attr-defined]


def test_annotate_sla_is_one_query(django_assert_num_queries: Any) -> None:
    for i in range(3):
        group = Group.objects.create(name=f"q-{i}")
        sla_clock_start(code="sales_order", obj=group, started_at=at(2026, 11, 23, 10, i))
    ContentType.objects.get_for_model(Group)  # warm the content-type cache
    with django_assert_num_queries(1):
        list(annotate_sla(Group.objects.all(), "sales_order").order_by("sla_due_at"))


# --- badges -----------------------------------------------------------------------------


def test_format_working_time() -> None:
    with translation.override("en"):
        _check_formats()


def _check_formats() -> None:
    assert format_working_time(timedelta(minutes=12)) == "12 minutes"
    assert format_working_time(timedelta(minutes=1)) == "1 minute"
    assert format_working_time(timedelta(seconds=30)) == "1 minute"
    assert format_working_time(timedelta(hours=1, minutes=5)) == "1 h 5 min"
    assert format_working_time(-timedelta(hours=2)) == "2 hours"


@pytest.mark.parametrize(
    ("now", "stopped", "state", "css"),
    [
        (at(2026, 11, 23, 10, 0), None, "running", "badge"),
        # due 10:50; 10 minutes of 60 left is under 20%
        (at(2026, 11, 23, 10, 40), None, "warning", "badge badge-warning"),
        (at(2026, 11, 23, 11, 30), None, "breached", "badge badge-danger"),
        (at(2026, 11, 23, 12, 0), at(2026, 11, 23, 10, 30), "met", "badge badge-success"),
        (at(2026, 11, 23, 12, 0), at(2026, 11, 23, 11, 30), "missed", "badge badge-danger"),
    ],
)
def test_countdown_states(
    target: Group, now: datetime, stopped: datetime | None, state: str, css: str
) -> None:
    sla_clock_start(code="delivery_note", obj=target, started_at=at(2026, 11, 23, 9, 50))
    if stopped:
        sla_clock_stop(code="delivery_note", obj=target, stopped_at=stopped)
    clock = clocks_for(target).get()
    ctx = countdown_context(clock, now)
    assert ctx["state"] == state
    assert ctx["css"] == css


def test_countdown_tag_renders_badge_with_due_time(target: Group) -> None:
    clock = sla_clock_start(code="sales_order", obj=target, started_at=at(2026, 11, 23, 10, 0))
    with time_machine.travel(at(2026, 11, 23, 10, 18), tick=False):
        html = Template("{% load sla_tags %}{% sla_countdown clock %}").render(
            Context({"clock": clock})
        )
    assert 'class="badge sla-countdown"' in html
    assert 'data-due="2026-11-23T10:30:00+08:00"' in html
    assert "12" in html


def test_countdown_tag_takes_annotated_rows(target: Group) -> None:
    sla_clock_start(code="sales_order", obj=target, started_at=at(2026, 11, 23, 10, 0))
    row = annotate_sla(Group.objects.filter(pk=target.pk), "sales_order").get()
    empty = annotate_sla(Group.objects.exclude(pk=target.pk), "sales_order").first()
    with time_machine.travel(at(2026, 11, 23, 11, 0), tick=False):
        html = Template("{% load sla_tags %}{% sla_countdown row %}|{% sla_countdown empty %}")
        rendered = html.render(Context({"row": row, "empty": empty}))
    assert "badge-danger" in rendered
    assert rendered.endswith("|")


def test_clocks_tag_lists_the_objects_clocks(target: Group) -> None:
    sla_clock_start(code="customer_identification", obj=target, started_at=at(2026, 11, 23, 9, 0))
    sla_clock_stop(code="customer_identification", obj=target, stopped_at=at(2026, 11, 23, 9, 5))
    sla_clock_start(code="sales_order", obj=target, started_at=at(2026, 11, 23, 9, 5))
    with time_machine.travel(at(2026, 11, 23, 9, 10), tick=False):
        html = Template("{% load sla_tags %}{% sla_clocks obj %}").render(Context({"obj": target}))
    assert 'class="table sla-clocks"' in html
    assert html.count("<tr>") == 3  # header + two clocks
    assert "badge-success" in html
    assert "2026-11-23 09:35" in html


# --- admin ------------------------------------------------------------------------------


@pytest.mark.clock(at(2026, 11, 23, 12, 0))
def test_admin_pages_render(admin_client: Any, target: Group) -> None:
    clock = sla_clock_start(code="sales_order", obj=target, started_at=at(2026, 11, 23, 10, 0))
    assert clock is not None
    policy = SlaPolicy.objects.get(code="sales_order")
    for url in (
        "/admin/sla/slapolicy/",
        f"/admin/sla/slapolicy/{policy.pk}/change/",
        "/admin/sla/slaclock/",
        "/admin/sla/slaclock/?status=running",
        f"/admin/sla/slaclock/{clock.pk}/change/",
    ):
        assert admin_client.get(url).status_code == 200, url
    overdue = admin_client.get("/admin/sla/slaclock/?status=breached").content.decode()
    assert f'href="/admin/auth/group/{target.pk}/change/"' in overdue
