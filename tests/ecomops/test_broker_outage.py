"""Fault injection (issue 23 §3): the broker (a Redis of the test's own) killed while staff
work in the portal and channels push orders. Before, the work was saved and the request
answered 500 (the publish after commit raised), and the e-mails of those notifications were
never sent. Now every request answers as usual, and once Redis is back the sweep e-mails
every notification still unsent, each once."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from ecomops.notifications import tasks as notification_tasks
from ecomops.notifications.models import Notification
from ecomops.worktasks.models import TaskState, WorkTask
from orders.models import Order
from tests.faults import REDIS, app_on_broker, redis_server
from tests.orders.factories import listed_sku, make_channel, order_data, push
from tests.warehouse.factories import make_order, make_warehouse, put_stock

pytestmark = [
    pytest.mark.faults,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="the outage runs against PostgreSQL and Redis as in production (DATABASE_URL)",
    ),
    pytest.mark.skipif(REDIS is None, reason="needs redis-server to start a broker of its own"),
]

TASKS = 3
PUSHES = 3


def _local(moment: Any) -> str:
    return f"{timezone.localtime(moment):%Y-%m-%dT%H:%M}"


def _dispatch(client: Client, title: str) -> Any:
    return client.post(
        reverse("worktasks:new"),
        {
            "from_department": "warehouse",
            "to_department": "ecommerce",
            "to_role": "shop_manager",
            "title": title,
            "details": "请核对盘点差异",
            "due_at": _local(timezone.now() + timedelta(days=2)),
        },
    )


def test_portal_and_intake_survive_a_broker_outage_and_no_email_is_lost(make_user: Any) -> None:
    keeper = make_user("warehouse_admin", username="keeper")
    shop = make_user("shop_manager", username="shop")
    parts = make_user("bu_parts_admin", username="parts")
    make_user("finance_clerk", username="clerk")
    channel = make_channel(code="taobao")
    listed_sku("SKU-1", "99.00")
    make_warehouse()
    stocked = listed_sku("SKU-2")
    put_stock(stocked, 10)
    to_allocate = make_order([(stocked, 1)])

    clients = {}
    for user in (keeper, shop, parts):
        client = Client(HTTP_ACCEPT_LANGUAGE="en", raise_request_exception=False)
        client.force_login(user)
        clients[user.username] = client
    intake = Client(raise_request_exception=False)
    answers: list[tuple[str, int, float]] = []

    def record(what: str, call: Any) -> Any:
        started = time.monotonic()
        response = call()
        answers.append((what, response.status_code, time.monotonic() - started))
        return response

    with redis_server() as broker, app_on_broker(broker.url):
        # Up: the portal's work reaches the broker (this test's app really publishes).
        record("dispatch (broker up)", lambda: _dispatch(clients["keeper"], "broker up"))
        assert broker.queue_length() >= 1
        broker.stop()  # the outage
        sent_before = Notification.objects.filter(email_wanted=True).count()

        for index in range(TASKS):
            record("dispatch", lambda i=index: _dispatch(clients["keeper"], f"盘点 {i}"))
        for task in WorkTask.objects.exclude(title="broker up").order_by("pk"):
            record(
                "accept",
                lambda t=task: clients["shop"].post(
                    reverse("worktasks:action", args=[t.pk, "accept"])
                ),
            )
        record(
            "issue delivery note",
            lambda: clients["parts"].post(
                reverse("warehouse:allocation_queue"), {"orders": [str(to_allocate.pk)]}
            ),
        )
        for index in range(PUSHES):
            record(
                "order push",
                lambda i=index: push(intake, channel, order_data(external_id=f"TB-OUT-{i}")),
            )

        # Every request answered as usual, quickly, with its work saved.
        assert [a for a in answers if a[1] >= 500] == []
        assert all(status in (200, 201, 302) for _what, status, _took in answers), answers
        assert max(took for _what, _status, took in answers) < 5
        assert WorkTask.objects.filter(state=TaskState.ACCEPTED).count() == TASKS
        assert to_allocate.delivery_notes.exists()
        assert Order.objects.filter(external_id__startswith="TB-OUT-").count() == PUSHES
        during = Notification.objects.filter(email_wanted=True).count() - sent_before
        assert during >= 2 * TASKS + 2  # dispatched, accepted, notes issued (finance, warehouse)
        unsent = Notification.objects.filter(email_wanted=True, emailed_at=None)
        assert unsent.count() >= during  # their messages went nowhere

        broker.start()  # back
        record("dispatch (broker back)", lambda: _dispatch(clients["keeper"], "broker back"))
        assert broker.queue_length() >= 1

    # Beat's sweep (every five minutes; driven here a few minutes on) e-mails the lost ones.
    lost = set(unsent.values_list("pk", flat=True))
    mail.outbox.clear()
    with time_machine.travel(timezone.now() + timedelta(minutes=3)):
        sent = notification_tasks.send_unsent_emails.apply().get()
        again = notification_tasks.send_unsent_emails.apply().get()
    assert sent == len(lost)
    assert again == 0
    assert not Notification.objects.filter(pk__in=lost, emailed_at=None).exists()
    assert not Notification.objects.filter(email_wanted=True, emailed_at=None).exists()
    titles = sorted(Notification.objects.filter(pk__in=lost).values_list("title", flat=True))
    assert sorted(m.subject.removeprefix("[ecomops] ") for m in mail.outbox) == titles
    print(
        f"{len(answers)} requests, {sum(1 for a in answers if a[1] >= 500)} answered 500, "
        f"slowest {max(a[2] for a in answers):.2f} s; {len(lost)} e-mails lost in the outage, "
        f"{sent} sent by the sweep"
    )
