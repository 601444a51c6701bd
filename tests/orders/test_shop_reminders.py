"""Shop documents running out: the daily reminder tells the opening's shop manager and every
shop manager once per document, 30 days ahead (or when it ran out unannounced); not for a
superseded document or an abandoned opening; a renewed upload is announced on its own."""

from __future__ import annotations

import importlib
from datetime import date
from typing import Any

import pytest
import time_machine
from django.apps import apps
from django_celery_beat.models import PeriodicTask

from ecomops.celery import app
from ecomops.notifications.models import Notification
from orders import tasks
from orders.models import ShopDocument
from orders.services import shop_documents_remind_expiring, shop_opening_abandon
from tests.orders.factories import prepared, shop_pdf, start_opening, upload
from tests.timeutil import at

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


@pytest.fixture
def colleague(make_user: Any) -> Any:
    return make_user("shop_manager", username="colleague")


def announced_to(document: ShopDocument) -> set[str]:
    return set(
        Notification.objects.filter(key=f"shop-document-expiry:{document.pk}").values_list(
            "recipient__username", flat=True
        )
    )


def test_documents_are_announced_once_thirty_days_ahead(manager: Any, colleague: Any) -> None:
    with time_machine.travel(at(2026, 11, 1, 10), tick=False):
        opening = prepared(start_opening(manager), manager)
        licence = upload(opening, manager, "business_licence", expires_on=date(2026, 12, 23))
        brand = upload(opening, manager, "brand_rights", expires_on=date(2026, 12, 24))
        identity = upload(opening, manager, "legal_rep_id", expires_on=date(2026, 11, 10))
        bank = upload(opening, manager, "bank_account")

    with time_machine.travel(at(2026, 11, 23, 8, 30), tick=False):
        # 30 days ahead: announced; 31 days: not yet; ran out unannounced: announced.
        assert shop_documents_remind_expiring() == 2
        assert shop_documents_remind_expiring() == 0
        assert tasks.shop_documents_remind_expiring() == 0
    assert announced_to(licence) == {"shopmgr", "colleague"}
    assert announced_to(identity) == {"shopmgr", "colleague"}
    assert announced_to(brand) == set()
    assert announced_to(bank) == set()
    assert Notification.objects.filter(key__startswith="shop-document-expiry:").count() == 4
    title = Notification.objects.get(
        recipient=manager, key=f"shop-document-expiry:{licence.pk}"
    ).title
    assert title == "营业执照 of shop 天猫家居旗舰店 runs out on 2026-12-23"
    ran_out = Notification.objects.get(recipient=manager, key=f"shop-document-expiry:{identity.pk}")
    assert ran_out.title == "法定代表人身份证 of shop 天猫家居旗舰店 ran out on 2026-11-10"
    assert ran_out.level == Notification.Level.DANGER
    assert ran_out.url == opening.get_absolute_url()
    licence.refresh_from_db()
    assert licence.expiry_notified_at == at(2026, 11, 23, 8, 30)

    with time_machine.travel(at(2026, 11, 24, 8, 30), tick=False):
        assert tasks.shop_documents_remind_expiring() == 1  # the brand rights, 30 days ahead
    assert announced_to(brand) == {"shopmgr", "colleague"}


def test_a_renewed_document_gets_its_own_reminder(manager: Any) -> None:
    with time_machine.travel(at(2026, 11, 23, 10), tick=False):
        opening = prepared(start_opening(manager), manager)
        old = upload(opening, manager, "business_licence", expires_on=date(2026, 12, 10))
        assert shop_documents_remind_expiring() == 1
        renewed = upload(opening, manager, "business_licence", expires_on=date(2029, 12, 10))
        assert shop_documents_remind_expiring() == 0
    with time_machine.travel(at(2029, 11, 12, 8, 30), tick=False):
        assert shop_documents_remind_expiring() == 1
    assert announced_to(old) == {"shopmgr"}
    assert announced_to(renewed) == {"shopmgr"}


def test_superseded_documents_and_abandoned_openings_are_not_announced(manager: Any) -> None:
    with time_machine.travel(at(2026, 11, 23, 10), tick=False):
        first = prepared(start_opening(manager), manager)
        superseded = upload(first, manager, "business_licence", expires_on=date(2026, 12, 1))
        current = upload(
            first, manager, "business_licence", upload=shop_pdf(), expires_on=date(2028, 1, 1)
        )
        second = prepared(start_opening(manager, code="tmall-outdoor", name="户外店"), manager)
        dropped = upload(second, manager, "business_licence", expires_on=date(2026, 12, 1))
        shop_opening_abandon(opening_id=second.pk, reason="不再开店", by=manager)
        assert shop_documents_remind_expiring() == 0
    for document in (superseded, current, dropped):
        assert announced_to(document) == set()
        document.refresh_from_db()
        assert document.expiry_notified_at is None


def test_the_reminder_runs_every_morning_at_half_past_eight() -> None:
    migration = importlib.import_module("orders.migrations.0005_shop_document_reminder_schedule")
    # What migrate created, on a clean slate: a later migration renamed the task, so running
    # this one again next to the renamed row would make two.
    PeriodicTask.objects.filter(task="orders.tasks.shop_documents_remind_expiring").delete()
    migration.Migration.operations[0].code(apps, None)
    task = PeriodicTask.objects.select_related("crontab").get(
        task="orders.tasks.shop_documents_remind_expiring"
    )
    assert task.enabled
    assert (task.crontab.minute, task.crontab.hour, task.crontab.day_of_week) == ("30", "8", "*")
    assert str(task.crontab.timezone) == "Asia/Shanghai"
    assert "orders.tasks.shop_documents_remind_expiring" in app.tasks
