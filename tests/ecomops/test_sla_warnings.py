"""SLA warnings before a breach and escalation after it (issue 25 §1): in working time,
once each, in the portal and by e-mail; amber and red countdowns; the daily report."""

from __future__ import annotations

import importlib
import json
import re
import shutil
import subprocess
import threading
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.apps import apps
from django.conf import settings
from django.contrib.auth.models import Group
from django.core import mail
from django.db import connection
from django.template import Context, Template
from django.utils import translation

from ecomops.accounts.models import DepartmentHead
from ecomops.accounts.roles import Department
from ecomops.notifications.models import Notification
from ecomops.sla.models import SlaClock, SlaPolicy
from ecomops.sla.selectors import annotate_sla, sla_report_rows
from ecomops.sla.services import (
    ClockStart,
    sla_clock_start,
    sla_clock_stop,
    sla_clocks_start_all,
    sla_escalate,
    sla_report_send,
    sla_sweep,
    sla_warn,
)
from ecomops.sla.tasks import send_sla_report, sweep_sla_clocks
from ecomops.sla.templatetags.sla_tags import countdown_context

pytestmark = pytest.mark.django_db

SH = ZoneInfo("Asia/Shanghai")


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SH)


# 2026-11-21 is a Saturday (a working day), 2026-11-22 a Sunday (off); National Day runs
# from 2026-10-01 to 10-07 (the official calendar the tests seed).
MONDAY = (2026, 11, 23)


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with translation.override("en"):
        yield


@pytest.fixture
def target() -> Group:
    """Any saved model instance can carry clocks (generic relation)."""
    return Group.objects.create(name="sla-warning-target")


@pytest.fixture
def people(make_user: Callable[..., Any]) -> dict[str, Any]:
    """The owner of the e-commerce clocks, the e-commerce head, a manager, and people who
    must hear nothing: another department's head and a packer."""
    users = {
        "rep": make_user("sales_rep"),
        "head": make_user("shop_manager"),
        "manager": make_user("manager"),
        "finance_head": make_user("finance_clerk"),
        "packer": make_user("packer"),
    }
    DepartmentHead.objects.create(department=Department.ECOMMERCE, user=users["head"])
    DepartmentHead.objects.create(department=Department.FINANCE, user=users["finance_head"])
    return users


def policy(code: str, **fields: Any) -> SlaPolicy:
    """Set a policy's fields (saving clears the services' copy of the policies)."""
    p = SlaPolicy.objects.get(code=code)
    for name, value in fields.items():
        setattr(p, name, value)
    p.save()
    return p


def notes(user: Any, kind: str) -> list[Notification]:
    return list(Notification.objects.filter(recipient=user, key__startswith=f"sla-{kind}-"))


# --- warnings ---------------------------------------------------------------------------


def test_warning_reaches_the_owner_once_in_the_portal_and_by_email(
    target: Group,
    people: dict[str, Any],
    django_capture_on_commit_callbacks: Any,
) -> None:
    policy("customer_identification", warning_percent=80)
    clock = sla_clock_start(
        code="customer_identification", obj=target, started_at=at(*MONDAY, 10, 0)
    )
    assert clock is not None
    # 80 % of 15 minutes: 10:12, three minutes before the due time
    assert clock.warn_at == at(*MONDAY, 10, 12)
    assert clock.due_at == at(*MONDAY, 10, 15)

    assert sla_warn(now=at(*MONDAY, 10, 11)) == 0
    with django_capture_on_commit_callbacks(execute=True):
        assert sla_warn(now=at(*MONDAY, 10, 12)) == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert sla_warn(now=at(*MONDAY, 10, 13)) == 0  # once
        assert sla_warn(now=at(*MONDAY, 10, 14)) == 0

    clock.refresh_from_db()
    assert clock.warned_at == at(*MONDAY, 10, 12)
    [note] = notes(people["rep"], "warning")
    assert note.level == Notification.Level.WARNING
    assert "3 minutes left" in note.title
    assert "3 minutes of working time left" in note.body
    assert "2026-11-23 10:15" in note.body
    for name in ("head", "manager", "finance_head", "packer"):
        assert not Notification.objects.filter(recipient=people[name]).exists()

    [email] = mail.outbox
    assert email.to == [people["rep"].email]
    assert "3 minutes left" in email.subject
    assert "3 minutes of working time left" in email.body


def test_warning_point_crosses_the_weekend_in_working_time(
    target: Group, people: dict[str, Any]
) -> None:
    policy("sales_order", warning_percent=80)
    # Saturday 17:50 + 24 working minutes: 10 on Saturday, 14 on Monday morning
    clock = sla_clock_start(code="sales_order", obj=target, started_at=at(2026, 11, 21, 17, 50))
    assert clock is not None
    assert clock.warn_at == at(*MONDAY, 9, 14)
    assert clock.due_at == at(*MONDAY, 9, 20)

    assert sla_warn(now=at(2026, 11, 21, 18, 30)) == 0
    assert sla_warn(now=at(2026, 11, 22, 12, 0)) == 0  # Sunday: no working time passes
    assert sla_warn(now=at(*MONDAY, 9, 13)) == 0
    assert sla_warn(now=at(*MONDAY, 9, 14)) == 1
    [note] = notes(people["rep"], "warning")
    assert "6 minutes of working time left" in note.body


def test_warning_point_crosses_a_holiday_in_working_time(
    target: Group, make_user: Callable[..., Any]
) -> None:
    admin = make_user("bu_parts_admin")
    policy("delivery_note", warning_percent=80)
    # 48 working minutes from 17:30 on 30 September: 30 that day, 18 after the holiday
    clock = sla_clock_start(code="delivery_note", obj=target, started_at=at(2026, 9, 30, 17, 30))
    assert clock is not None
    assert clock.warn_at == at(2026, 10, 8, 9, 18)
    assert clock.due_at == at(2026, 10, 8, 9, 30)

    assert sla_warn(now=at(2026, 10, 3, 10, 0)) == 0  # National Day
    assert sla_warn(now=at(2026, 10, 8, 9, 17)) == 0
    assert sla_warn(now=at(2026, 10, 8, 9, 18)) == 1
    [note] = notes(admin, "warning")
    assert "12 minutes of working time left" in note.body


def test_the_warning_point_is_the_policys_own(target: Group, people: dict[str, Any]) -> None:
    policy("sales_order", warning_percent=50)
    clock = sla_clock_start(code="sales_order", obj=target, started_at=at(*MONDAY, 10, 0))
    assert clock is not None
    assert clock.warn_at == at(*MONDAY, 10, 15)
    assert sla_warn(now=at(*MONDAY, 10, 15)) == 1
    [note] = notes(people["rep"], "warning")
    assert "15 minutes of working time left" in note.body


def test_a_deadline_clock_warns_at_the_same_share_of_its_working_time(
    target: Group, make_user: Callable[..., Any]
) -> None:
    clerk = make_user("finance_clerk")
    policy("invoice_issued", warning_percent=80)
    # Saturday 16:00 to Monday 11:00: 2 h on Saturday, 2 h on Monday (Sunday is off);
    # 80 % of the 4 h (3 h 12 min) has passed on Monday at 10:12
    clock = sla_clock_start(
        code="invoice_issued",
        obj=target,
        started_at=at(2026, 11, 21, 16, 0),
        due_at=at(*MONDAY, 11, 0),
    )
    assert clock is not None
    assert clock.warn_at == at(*MONDAY, 10, 12)
    assert sla_warn(now=at(2026, 11, 22, 10, 0)) == 0
    assert sla_warn(now=at(*MONDAY, 10, 11)) == 0
    assert sla_warn(now=at(*MONDAY, 10, 12)) == 1
    [note] = notes(clerk, "warning")
    assert "48 minutes of working time left" in note.body


def test_no_warning_for_a_stopped_clock_or_one_already_overdue(
    target: Group, people: dict[str, Any]
) -> None:
    other = Group.objects.create(name="late")
    sla_clock_start(code="customer_identification", obj=target, started_at=at(*MONDAY, 10, 0))
    sla_clock_stop(code="customer_identification", obj=target, stopped_at=at(*MONDAY, 10, 5))
    sla_clock_start(code="customer_identification", obj=other, started_at=at(*MONDAY, 10, 0))
    # The sweep was down past the due time: the breach sweep reports it, no warning now.
    assert sla_sweep(now=at(*MONDAY, 10, 30)) == 1
    assert sla_warn(now=at(*MONDAY, 10, 30)) == 0
    assert notes(people["rep"], "warning") == []
    assert len(notes(people["rep"], "breach")) == 1


def test_clocks_started_in_bulk_get_their_warning_and_escalation_points() -> None:
    policy("customer_identification", warning_percent=80, escalation_delay=timedelta(minutes=20))
    policy("sales_order", warning_percent=50, escalation_delay=timedelta(hours=1))
    groups = [Group.objects.create(name=f"bulk-{i}") for i in range(3)]
    started = at(2026, 11, 21, 17, 50)  # Saturday
    assert (
        sla_clocks_start_all(
            model=Group,
            starts=[
                ClockStart("customer_identification", groups[0].pk, started),
                ClockStart("customer_identification", groups[1].pk, started, started),
                ClockStart("sales_order", groups[2].pk, started),
            ],
        )
        == 3
    )
    clocks = {(c.policy.code, c.object_id): c for c in SlaClock.objects.select_related("policy")}
    ident = clocks[("customer_identification", groups[0].pk)]
    assert (ident.warn_at, ident.due_at, ident.escalate_at) == (
        at(*MONDAY, 9, 2),
        at(*MONDAY, 9, 5),
        at(*MONDAY, 9, 25),
    )
    stopped = clocks[("customer_identification", groups[1].pk)]
    assert (stopped.warn_at, stopped.escalate_at) == (None, None)
    order = clocks[("sales_order", groups[2].pk)]
    assert (order.warn_at, order.due_at) == (at(*MONDAY, 9, 5), at(*MONDAY, 9, 20))
    assert order.escalate_at == at(*MONDAY, 10, 20)


def test_clocks_written_without_a_warning_point_get_one_from_the_sweep(
    target: Group, people: dict[str, Any]
) -> None:
    """Clocks bulk-inserted elsewhere (the demo data) or before warnings existed."""
    from django.contrib.contenttypes.models import ContentType

    SlaClock.objects.create(
        policy=SlaPolicy.objects.get(code="sales_order"),
        content_type=ContentType.objects.get_for_model(Group),
        object_id=target.pk,
        owner_role="sales_rep",
        started_at=at(*MONDAY, 10, 0),
        due_at=at(*MONDAY, 10, 30),
    )
    policy("sales_order", warning_percent=80, escalation_delay=timedelta(minutes=10))
    assert sla_warn(now=at(*MONDAY, 10, 23)) == 0
    clock = SlaClock.objects.get()
    assert clock.warn_at == at(*MONDAY, 10, 24)
    assert clock.escalate_at == at(*MONDAY, 10, 40)
    assert sla_warn(now=at(*MONDAY, 10, 24)) == 1


# --- escalation -------------------------------------------------------------------------


def test_a_breach_left_open_goes_to_the_head_and_managers_once(
    target: Group, people: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    policy("customer_identification", escalation_delay=timedelta(minutes=30))
    clock = sla_clock_start(
        code="customer_identification", obj=target, started_at=at(*MONDAY, 10, 0)
    )
    assert clock is not None
    assert clock.escalate_at == at(*MONDAY, 10, 45)

    # Not marked by the breach sweep yet: nothing to escalate, however late.
    assert sla_escalate(now=at(*MONDAY, 11, 0)) == 0
    assert sla_sweep(now=at(*MONDAY, 10, 16)) == 1
    assert sla_escalate(now=at(*MONDAY, 10, 44)) == 0
    with django_capture_on_commit_callbacks(execute=True):
        assert sla_escalate(now=at(*MONDAY, 10, 45)) == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert sla_escalate(now=at(*MONDAY, 10, 46)) == 0
        assert sla_escalate(now=at(*MONDAY, 12, 0)) == 0

    clock.refresh_from_db()
    assert clock.escalated_at == at(*MONDAY, 10, 45)
    for name in ("head", "manager"):
        [note] = notes(people[name], "escalation")
        assert note.level == Notification.Level.DANGER
        assert note.title.startswith("Escalated:")
        assert "Overdue by 30 minutes of working time" in note.body
        assert "E-commerce" in note.body
    assert notes(people["rep"], "escalation") == []  # the owner heard of the breach
    assert not Notification.objects.filter(recipient=people["finance_head"]).exists()
    assert not Notification.objects.filter(recipient=people["packer"]).exists()
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        [people["head"].email, people["manager"].email]
    )
    assert all(m.subject.startswith("[ecomops] Escalated:") for m in mail.outbox)


def test_escalation_delay_crosses_the_weekend_in_working_time(
    target: Group, people: dict[str, Any]
) -> None:
    policy("sales_order", escalation_delay=timedelta(hours=1))
    # due Saturday 17:30; an hour of working time later: 30 minutes on Saturday, 30 on Monday
    clock = sla_clock_start(code="sales_order", obj=target, started_at=at(2026, 11, 21, 17, 0))
    assert clock is not None
    assert clock.escalate_at == at(*MONDAY, 9, 30)
    assert sla_sweep(now=at(2026, 11, 21, 17, 31)) == 1
    assert sla_escalate(now=at(2026, 11, 21, 18, 30)) == 0
    assert sla_escalate(now=at(2026, 11, 22, 17, 31)) == 0  # Sunday
    assert sla_escalate(now=at(*MONDAY, 9, 29)) == 0
    assert sla_escalate(now=at(*MONDAY, 9, 30)) == 1
    assert len(notes(people["manager"], "escalation")) == 1


def test_escalation_delay_crosses_a_holiday_in_working_time(
    target: Group, make_user: Callable[..., Any]
) -> None:
    service = make_user("aftersales_service")
    head = make_user("presales_service")
    manager = make_user("manager")
    DepartmentHead.objects.create(department=Department.SERVICE, user=head)
    policy("return_review", escalation_delay=timedelta(hours=2))
    # due 30 September 17:00; two working hours later: 18:00, then 10:00 after the holiday
    clock = sla_clock_start(code="return_review", obj=target, started_at=at(2026, 9, 30, 13, 0))
    assert clock is not None
    assert clock.escalate_at == at(2026, 10, 8, 10, 0)
    assert sla_sweep(now=at(2026, 9, 30, 17, 1)) == 1
    assert sla_escalate(now=at(2026, 10, 2, 10, 0)) == 0  # National Day
    assert sla_escalate(now=at(2026, 10, 8, 9, 59)) == 0
    assert sla_escalate(now=at(2026, 10, 8, 10, 0)) == 1
    assert len(notes(head, "escalation")) == 1
    assert len(notes(manager, "escalation")) == 1
    assert notes(service, "escalation") == []


def test_a_breach_resolved_before_the_delay_is_not_escalated(
    target: Group, people: dict[str, Any]
) -> None:
    policy("customer_identification", escalation_delay=timedelta(minutes=30))
    sla_clock_start(code="customer_identification", obj=target, started_at=at(*MONDAY, 10, 0))
    assert sla_sweep(now=at(*MONDAY, 10, 16)) == 1
    sla_clock_stop(code="customer_identification", obj=target, stopped_at=at(*MONDAY, 10, 30))
    assert sla_escalate(now=at(*MONDAY, 11, 0)) == 0
    assert notes(people["manager"], "escalation") == []


def test_without_a_department_head_managers_still_hear(
    target: Group, make_user: Callable[..., Any]
) -> None:
    make_user("bu_parts_admin")
    manager = make_user("manager")
    policy("delivery_note", escalation_delay=timedelta(0))
    sla_clock_start(code="delivery_note", obj=target, started_at=at(*MONDAY, 10, 0))
    assert sla_sweep(now=at(*MONDAY, 11, 1)) == 1
    assert sla_escalate(now=at(*MONDAY, 11, 1)) == 1
    assert len(notes(manager, "escalation")) == 1


@pytest.mark.clock(at(*MONDAY, 10, 12))
def test_the_minute_task_breaches_warns_and_escalates_once(
    people: dict[str, Any], clock: time_machine.Traveller
) -> None:
    policy("customer_identification", warning_percent=80, escalation_delay=timedelta(minutes=5))
    soon = Group.objects.create(name="soon")
    late = Group.objects.create(name="late")
    sla_clock_start(code="customer_identification", obj=soon, started_at=at(*MONDAY, 10, 0))
    sla_clock_start(code="customer_identification", obj=late, started_at=at(*MONDAY, 9, 30))
    # late: due 9:45, escalation point 9:50, both passed; soon: warning point 10:12. A
    # repeated (or duplicated) sweep changes nothing more.
    assert [sweep_sla_clocks.delay().get() for _run in range(3)] == [1, 0, 0]
    by_key = {c.object_id: c for c in SlaClock.objects.all()}
    assert by_key[late.pk].breached_at == at(*MONDAY, 10, 12)
    assert by_key[late.pk].escalated_at == at(*MONDAY, 10, 12)
    assert by_key[late.pk].warned_at is None  # overdue before anybody swept: no warning
    assert by_key[soon.pk].warned_at == at(*MONDAY, 10, 12)
    assert len(notes(people["rep"], "warning")) == 1
    assert len(notes(people["rep"], "breach")) == 1
    assert len(notes(people["manager"], "escalation")) == 1
    assert len(notes(people["head"], "escalation")) == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_concurrent_sweeps_warn_and_escalate_each_clock_once(
    make_user: Callable[..., Any],
) -> None:
    rep = make_user("sales_rep")
    manager = make_user("manager")
    policy("customer_identification", warning_percent=80, escalation_delay=timedelta(0))
    for i in range(30):
        group = Group.objects.create(name=f"race-{i}")
        started = at(*MONDAY, 10, 0) if i % 2 else at(*MONDAY, 9, 0)
        sla_clock_start(code="customer_identification", obj=group, started_at=started)
    moment = at(*MONDAY, 10, 13)
    assert sla_sweep(now=moment) == 15
    results: list[tuple[int, int]] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(4)

    def run() -> None:
        try:
            barrier.wait()
            results.append(
                (sla_warn(now=moment, batch_size=4), sla_escalate(now=moment, batch_size=4))
            )
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sum(w for w, _ in results) == 15
    assert sum(e for _, e in results) == 15
    assert len(notes(rep, "warning")) == 15
    assert len(notes(manager, "escalation")) == 15


# --- countdowns -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "state", "css"),
    [
        (at(*MONDAY, 10, 14), "running", "badge"),
        # 50 % of 30 minutes: amber from 10:15, before the default 80 % would be reached
        (at(*MONDAY, 10, 15), "warning", "badge badge-warning"),
        (at(*MONDAY, 10, 30), "warning", "badge badge-warning"),  # at the due time: met
        (at(*MONDAY, 10, 31), "breached", "badge badge-danger"),
    ],
)
def test_countdown_turns_amber_at_the_warning_point_and_red_at_the_breach(
    target: Group, now: datetime, state: str, css: str
) -> None:
    policy("sales_order", warning_percent=50)
    clock = sla_clock_start(code="sales_order", obj=target, started_at=at(*MONDAY, 10, 0))
    assert clock is not None
    assert countdown_context(clock, now)["css"] == css
    row = annotate_sla(Group.objects.filter(pk=target.pk), "sales_order").get()
    ctx = countdown_context(row, now)
    assert (ctx["state"], ctx["css"]) == (state, css)
    with time_machine.travel(now, tick=False):
        html = Template("{% load sla_tags %}{% sla_countdown row %}").render(Context({"row": row}))
    assert f'class="{css} sla-countdown"' in html
    assert f'data-sla-state="{state}"' in html


def test_countdown_carries_the_seconds_to_its_warning_point(target: Group) -> None:
    policy("sales_order", warning_percent=50)
    clock = sla_clock_start(code="sales_order", obj=target, started_at=at(*MONDAY, 10, 0))
    with time_machine.travel(at(*MONDAY, 10, 5), tick=False):
        html = Template("{% load sla_tags %}{% sla_countdown clock %}").render(
            Context({"clock": clock})
        )
    assert 'data-warn-in="600.0"' in html
    assert 'data-due-in="1500.0"' in html


SCRIPT_HARNESS = """
const fs = require("fs"), vm = require("vm");
const [source, strings, attrs] = process.argv.slice(2).map((a, i) => i ? JSON.parse(a) : a);
function El(a) { this.a = a; this.textContent = ""; this.className = "badge sla-countdown"; }
El.prototype.getAttribute = function (n) { return n in this.a ? this.a[n] : null; };
El.prototype.setAttribute = function (n, v) { this.a[n] = String(v); };
const el = new El(attrs);
let clock = 1e12, listeners = {}, interval = null;
vm.runInNewContext(fs.readFileSync(source, "utf8"), {
  Date: { now: () => clock }, JSON, Math, parseFloat, isNaN, String, Object,
  document: {
    getElementById: () => ({ textContent: JSON.stringify(strings) }),
    querySelectorAll: () => [el],
    addEventListener: (name, f) => { listeners[name] = f; },
  },
  window: { setInterval: (f) => { interval = f; } },
});
const seen = [];
listeners.DOMContentLoaded();
for (const step of [0, 9, 2, 20]) {  // minutes later
  clock += step * 60000; interval();
  seen.push([el.textContent, el.getAttribute("data-sla-state")]);
}
console.log(JSON.stringify(seen));
"""


@pytest.mark.skipif(shutil.which("node") is None, reason="needs Node.js to run the script")
def test_the_live_countdown_turns_amber_at_the_policys_warning_point(tmp_path: Path) -> None:
    """A 30-minute clock warned at 50 %, rendered 5 minutes in: amber 10 minutes later
    (the default 20 % left would be 19 minutes later), red after the due time."""
    harness = tmp_path / "harness.js"
    harness.write_text(SCRIPT_HARNESS)
    strings_html = Template("{% load sla_tags %}{% sla_countdown_strings %}").render(Context())
    strings = json.loads(re.sub(r"^<script[^>]*>|</script>$", "", strings_html))
    attrs = {
        "data-live": "",
        "data-sla-state": "running",
        "data-left": "1500",
        "data-total": "1800",
        "data-due-in": "1500",
        "data-warn-in": "600",
        "data-idle": "0",
        "data-run": "3600",
    }
    source = Path(settings.BASE_DIR) / "static" / "js" / "app.js"
    out = subprocess.run(  # noqa: S603
        ["node", str(harness), str(source), json.dumps(strings), json.dumps(attrs)],  # noqa: S607
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(out.stdout) == [
        ["25 minutes", "running"],
        ["16 minutes", "running"],
        ["14 minutes", "warning"],
        ["6 minutes overdue", "breached"],
    ]


# --- the daily report -------------------------------------------------------------------


def test_daily_report_counts_warned_breached_and_escalated_per_policy(
    people: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    policy("customer_identification", warning_percent=80, escalation_delay=timedelta(minutes=15))
    policy("sales_order", warning_percent=80, escalation_delay=timedelta(hours=1))
    groups = [Group.objects.create(name=f"report-{i}") for i in range(4)]
    # Monday: two identification clocks warned, one of them breached and escalated; one
    # met at once; a sales order clock breached on Monday, escalated on Tuesday.
    for g in groups[:3]:
        sla_clock_start(code="customer_identification", obj=g, started_at=at(*MONDAY, 10, 0))
    sla_clock_stop(code="customer_identification", obj=groups[2], stopped_at=at(*MONDAY, 10, 5))
    sla_clock_start(code="sales_order", obj=groups[3], started_at=at(*MONDAY, 17, 0))
    sla_warn(now=at(*MONDAY, 10, 13))
    sla_clock_stop(code="customer_identification", obj=groups[1], stopped_at=at(*MONDAY, 10, 14))
    sla_sweep(now=at(*MONDAY, 10, 20))
    sla_escalate(now=at(*MONDAY, 10, 30))
    sla_sweep(now=at(*MONDAY, 17, 40))
    sla_escalate(now=at(2026, 11, 24, 9, 30))

    rows = {r.policy_code: r for r in sla_report_rows(at(*MONDAY).date())}
    ident = rows["customer_identification"]
    assert (ident.started, ident.met, ident.warned, ident.breached, ident.escalated) == (
        3,
        2,
        2,
        1,
        1,
    )
    order = rows["sales_order"]
    assert (order.started, order.warned, order.breached, order.escalated) == (1, 0, 1, 0)
    assert rows["delivery_note"].any is False
    tuesday = {r.policy_code: r for r in sla_report_rows(at(2026, 11, 24).date())}
    assert tuesday["sales_order"].escalated == 1
    assert tuesday["customer_identification"].any is False

    with django_capture_on_commit_callbacks(execute=True):
        assert sla_report_send(day=at(*MONDAY).date()) == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert sla_report_send(day=at(*MONDAY).date()) == 0  # once per day
    [note] = notes(people["manager"], "report")
    assert note.title == "SLA report 2026-11-23: 2 warned, 2 breached, 1 escalated"
    name = SlaPolicy.objects.get(code="customer_identification").name
    assert f"{name}: 3 started, 2 met, 2 warned, 1 breached, 1 escalated" in note.body
    assert SlaPolicy.objects.get(code="delivery_note").name not in note.body
    [email] = mail.outbox
    assert email.to == [people["manager"].email]
    assert "2 warned, 2 breached, 1 escalated" in email.subject
    assert notes(people["rep"], "report") == []


@pytest.mark.clock(at(*MONDAY, 9, 0))
def test_the_morning_task_reports_yesterday_once(
    people: dict[str, Any], target: Group, clock: time_machine.Traveller
) -> None:
    sla_clock_start(code="customer_identification", obj=target, started_at=at(*MONDAY, 10, 0))
    sla_sweep(now=at(*MONDAY, 10, 20))
    clock.move_to(at(2026, 11, 24, 8, 0))
    assert send_sla_report.delay().get() == 1
    assert send_sla_report.delay().get() == 0
    [note] = notes(people["manager"], "report")
    assert note.key == "sla-report-2026-11-23"
    # A day on which nothing happened sends nothing.
    clock.move_to(at(2026, 11, 25, 8, 0))
    assert send_sla_report.delay().get() == 0


# --- policies: defaults and the admin ---------------------------------------------------


def test_seeded_policies_get_warning_points_and_escalation_delays() -> None:
    migration = importlib.import_module("ecomops.sla.migrations.0009_warning_defaults_and_report")
    migration.set_defaults(apps, None)
    policies = {p.code: p for p in SlaPolicy.objects.all()}
    assert policies["customer_identification"].warning_percent == 80
    assert policies["customer_identification"].escalation_delay == timedelta(minutes=15)
    assert policies["listing_review"].warning_percent == 75
    assert policies["shop_approval"].escalation_delay == timedelta(hours=9)
    assert all(1 <= p.warning_percent <= 99 for p in policies.values())
    new = SlaPolicy.objects.create(code="new-one", name="New", owner_role="sales_rep")
    assert (new.warning_percent, new.escalation_delay) == (80, timedelta(hours=1))


def test_managers_edit_the_warning_point_and_delay_in_the_admin(admin_client: Any) -> None:
    p = SlaPolicy.objects.get(code="return_review")
    url = f"/admin/sla/slapolicy/{p.pk}/change/"
    page = admin_client.get(url).content.decode()
    assert 'name="warning_percent"' in page
    assert 'name="escalation_delay"' in page
    response = admin_client.post(
        url,
        {
            "name": p.name,
            "limit": "04:00:00",
            "warning_percent": "60",
            "escalation_delay": "03:00:00",
            "owner_role": p.owner_role,
            "active": "on",
            "description": p.description,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    p.refresh_from_db()
    assert (p.warning_percent, p.escalation_delay) == (60, timedelta(hours=3))
    refused = admin_client.post(
        url,
        {
            "name": p.name,
            "limit": "04:00:00",
            "warning_percent": "100",
            "escalation_delay": "03:00:00",
            "owner_role": p.owner_role,
            "active": "on",
        },
    )
    assert refused.status_code == 200  # the form shows the error
    p.refresh_from_db()
    assert p.warning_percent == 60
    assert admin_client.get("/admin/sla/slapolicy/").status_code == 200
