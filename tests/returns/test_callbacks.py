"""Callbacks (回访): scheduling, the owner's reminder (once, and again after a move),
recording the outcome, and the callbacks page."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from ecomops.errors import ApplicationError, ConflictError, PermissionDeniedError
from ecomops.notifications.models import Notification
from returns.models import Callback, CallbackOutcome, CaseCategory
from returns.selectors import cases as selectors
from returns.services import cases as services
from tests.returns.kb_factories import CallbackFactory, customer, order_for
from tests.timeutil import at

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

MONDAY_10 = at(2026, 11, 23, 10)


def schedule(by: Any, when: Any, **kwargs: Any) -> Callback:
    buyer = kwargs.pop("buyer", None) or customer(name="陈静", phone="13700001111")
    return services.callback_schedule(
        customer_id=buyer.pk, purpose="回访安装效果", scheduled_at=when, by=by, **kwargs
    )


def from_now(**delta: Any) -> datetime:
    return timezone.now() + timedelta(**delta)


def reminders(user: Any) -> int:
    return Notification.objects.filter(recipient=user, key__startswith="callback-due-").count()


# --- Scheduling ----------------------------------------------------------------------------


def test_a_callback_in_the_past_is_refused(service):
    with time_machine.travel(MONDAY_10, tick=False):
        with pytest.raises(ApplicationError) as exc:
            schedule(service, at(2026, 11, 23, 9, 59))
        assert "in the past" in exc.value.extra["fields"]["scheduled_at"][0]
        # The current minute is "now", not the past.
        assert schedule(service, at(2026, 11, 23, 10)).owner == service
    assert Callback.objects.count() == 1


def test_a_callback_about_a_case_is_with_its_customer_and_order(service, colleague):
    buyer = customer()
    order = order_for(buyer)
    case = services.case_open(
        customer_id=buyer.pk,
        order_id=order.pk,
        category=CaseCategory.INSTALLATION,
        problem="空调安装后漏水",
        by=service,
    )
    callback = schedule(
        service,
        from_now(hours=2),
        buyer=buyer,
        case_id=case.pk,
        owner_id=colleague.pk,
    )
    assert (callback.case, callback.order, callback.owner) == (case, order, colleague)
    assert callback.created_by == service
    assert Notification.objects.filter(recipient=colleague).count() == 1  # told it is theirs
    with pytest.raises(ApplicationError) as exc:
        schedule(service, from_now(hours=2), case_id=case.pk)  # another customer
    assert "case" in exc.value.extra["fields"]


@pytest.mark.parametrize("role", ["picker", "presales_service"])
def test_only_after_sales_staff_schedule_callbacks(make_user, role):
    with pytest.raises(PermissionDeniedError):
        schedule(make_user(role), from_now(hours=1))


# --- The reminder ------------------------------------------------------------------------


def test_the_owner_is_reminded_once_when_the_callback_falls_due(service):
    with time_machine.travel(MONDAY_10, tick=False):
        due = schedule(service, at(2026, 11, 23, 11))
        later = schedule(service, at(2026, 11, 23, 15), buyer=customer())
        made = schedule(service, at(2026, 11, 23, 10, 30), buyer=customer())
        services.callback_record(
            callback_id=made.pk, outcome=CallbackOutcome.SATISFIED, note="", by=service
        )
        assert services.callbacks_remind_due() == 0  # nothing due yet
    with time_machine.travel(at(2026, 11, 23, 11, 5), tick=False):
        assert services.callbacks_remind_due() == 1
        assert services.callbacks_remind_due() == 0  # a second sweep reminds nobody again
    assert reminders(service) == 1
    note = Notification.objects.get(key__startswith="callback-due-")
    assert note.url == due.get_absolute_url()
    assert "陈静" in note.title
    due.refresh_from_db()
    later.refresh_from_db()
    assert due.reminded_at == at(2026, 11, 23, 11, 5)
    assert later.reminded_at is None


def test_a_moved_callback_is_reminded_again_at_its_new_time(service):
    with time_machine.travel(MONDAY_10, tick=False):
        callback = schedule(service, at(2026, 11, 23, 11))
    with time_machine.travel(at(2026, 11, 23, 11, 1), tick=False):
        assert services.callbacks_remind_due() == 1
        # The customer did not answer: call again at three.
        services.callback_reschedule(
            callback_id=callback.pk, scheduled_at=at(2026, 11, 23, 15), by=service
        )
        callback.refresh_from_db()
        assert callback.reminded_at is None
        assert services.callbacks_remind_due() == 0  # not due again yet
    with time_machine.travel(at(2026, 11, 23, 15, 2), tick=False):
        assert services.callbacks_remind_due() == 1
        assert services.callbacks_remind_due() == 0
    assert reminders(service) == 2


def test_the_reminder_task_runs_the_sweep(service):
    from returns.tasks import remind_callbacks

    with time_machine.travel(MONDAY_10, tick=False):
        schedule(service, at(2026, 11, 23, 10, 30))
    with time_machine.travel(at(2026, 11, 23, 10, 31), tick=False):
        assert remind_callbacks.delay().get() == 1
        assert remind_callbacks.delay().get() == 0
    assert reminders(service) == 1


# --- The outcome ---------------------------------------------------------------------------


def test_the_outcome_is_recorded_once(service):
    callback = schedule(service, from_now(minutes=5))
    with pytest.raises(ApplicationError) as exc:
        services.callback_record(callback_id=callback.pk, outcome="", note="", by=service)
    assert "outcome" in exc.value.extra["fields"]
    services.callback_record(
        callback_id=callback.pk,
        outcome=CallbackOutcome.NOT_SATISFIED,
        note="仍然漏水，要求退货",
        by=service,
    )
    callback.refresh_from_db()
    assert callback.is_done
    assert (callback.outcome, callback.outcome_note) == ("not_satisfied", "仍然漏水，要求退货")
    with pytest.raises(ConflictError):
        services.callback_record(
            callback_id=callback.pk, outcome=CallbackOutcome.SATISFIED, note="", by=service
        )
    with pytest.raises(ConflictError):
        services.callback_reschedule(
            callback_id=callback.pk, scheduled_at=from_now(days=1), by=service
        )
    callback.refresh_from_db()
    assert callback.outcome == "not_satisfied"


# --- Lists ---------------------------------------------------------------------------------


def test_due_today_takes_the_overdue_ones_and_leaves_the_upcoming(service, colleague):
    with time_machine.travel(at(2026, 11, 20, 9), tick=False):
        overdue = schedule(service, at(2026, 11, 20, 16), buyer=customer())
        done = schedule(service, at(2026, 11, 20, 17), buyer=customer())
        services.callback_record(
            callback_id=done.pk, outcome=CallbackOutcome.NO_ANSWER, note="", by=service
        )
    with time_machine.travel(MONDAY_10, tick=False):
        morning = schedule(service, at(2026, 11, 23, 10), buyer=customer())
        evening = schedule(service, at(2026, 11, 23, 23, 59), buyer=customer())
        theirs = schedule(service, at(2026, 11, 23, 14), owner_id=colleague.pk, buyer=customer())
        tomorrow = schedule(service, at(2026, 11, 24, 0, 0), buyer=customer())
        today = MONDAY_10.date()
        assert list(selectors.callbacks_due_on(today)) == [overdue, morning, theirs, evening]
        assert list(selectors.callbacks_due_on(today, owner=colleague)) == [theirs]
        assert list(selectors.callbacks_upcoming(today)) == [tomorrow]


@pytest.mark.parametrize(
    ("role", "name", "status"),
    [
        ("aftersales_service", "returns:callback_list", 200),
        ("aftersales_service", "returns:callback_new", 200),
        ("presales_service", "returns:callback_list", 200),
        ("presales_service", "returns:callback_new", 403),
        ("picker", "returns:callback_list", 403),
        ("picker", "returns:callback_new", 403),
    ],
)
def test_callback_pages_per_role(client, make_user, role, name, status):
    client.force_login(make_user(role))
    assert client.get(reverse(name)).status_code == status


def test_the_callbacks_page_shows_overdue_today_and_upcoming(client, service):
    with time_machine.travel(at(2026, 11, 20, 9), tick=False):
        schedule(service, at(2026, 11, 20, 16), buyer=customer(name="欧阳逾期"))
    with time_machine.travel(MONDAY_10, tick=False):
        schedule(service, at(2026, 11, 23, 15), buyer=customer(name="今日客户"))
        schedule(service, at(2026, 11, 25, 9), buyer=customer(name="后天客户"))
        client.force_login(service)
        page = client.get(reverse("returns:callback_list")).content.decode()
    overdue = page.index('id="callbacks-overdue"')
    today = page.index('id="callbacks-today"')
    upcoming = page.index('id="callbacks-upcoming"')
    assert overdue < page.index("欧阳逾期") < today < page.index("今日客户") < upcoming
    assert page.index("后天客户") > upcoming


def test_recording_and_moving_on_the_callback_page(client, service, make_user):
    callback = schedule(service, from_now(hours=1))
    client.force_login(make_user("presales_service"))
    assert client.get(callback.get_absolute_url()).status_code == 200
    response = client.post(
        callback.get_absolute_url(), {"action": "record", "outcome": "satisfied"}
    )
    assert response.status_code == 403
    client.force_login(service)
    response = client.post(
        callback.get_absolute_url(),
        # In the past, yet within the input window (ecomops.bounds.plan_window).
        {
            "action": "reschedule",
            "scheduled_at": timezone.localtime(from_now(days=-30)).strftime("%Y-%m-%dT%H:%M"),
        },
    )
    assert response.status_code == 200
    assert "in the past" in response.content.decode()
    response = client.post(
        callback.get_absolute_url(),
        {"action": "record", "outcome": "satisfied", "note": "客户表示满意"},
    )
    assert response.status_code == 302
    callback.refresh_from_db()
    assert callback.outcome == "satisfied"
    assert "客户表示满意" in client.get(callback.get_absolute_url()).content.decode()


def test_scheduling_from_a_case_page_link(client, service):
    buyer = customer(name="黄婷")
    case = services.case_open(
        customer_id=buyer.pk, category=CaseCategory.QUALITY, problem="屏幕有坏点", by=service
    )
    client.force_login(service)
    assert "黄婷" in client.get(reverse("returns:callback_new"), {"case": case.pk}).content.decode()
    when = timezone.localtime(from_now(days=1))
    response = client.post(
        reverse("returns:callback_new") + f"?case={case.pk}",
        {
            "case": case.pk,
            "purpose": "确认换货是否到达",
            "scheduled_at": when.strftime("%Y-%m-%dT%H:%M"),
        },
    )
    assert response.status_code == 302
    callback = Callback.objects.get()
    assert (callback.case, callback.customer, callback.owner) == (case, buyer, service)


def _queries(client: Any, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.clock(MONDAY_10)
def test_callback_list_query_count_does_not_grow_with_rows(client, service):
    def callbacks(count: int) -> None:
        # one overdue, one due today, the rest upcoming; with cases and orders
        for n in range(count):
            buyer = customer()
            order = order_for(buyer)
            case = services.case_open(
                customer_id=buyer.pk,
                order_id=order.pk,
                category=CaseCategory.QUALITY,
                problem="问题",
                by=service,
            )
            when = at(2026, 11, 22 + min(n, 2), 16)
            CallbackFactory(customer=buyer, case=case, order=order, scheduled_at=when)

    client.force_login(service)
    url = reverse("returns:callback_list")
    callbacks(3)
    with_three = _queries(client, url)
    callbacks(7)
    assert _queries(client, url) == with_three
