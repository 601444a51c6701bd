"""Shop openings under concurrency (PostgreSQL only): two reminder runs at once announce
each document once; the platform's last answer recorded twice at once approves once; the
shop opened twice at once opens once."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection, connections
from django.utils import timezone

from ecomops.notifications.models import Notification
from orders.models import OpeningState, ReviewDecision, StepPhase
from orders.services import (
    shop_documents_remind_expiring,
    shop_open,
    shop_review_pass,
)
from tests.orders.factories import (
    approved,
    prepared,
    set_up,
    start_opening,
    submitted,
    upload,
)

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="row locks and SKIP LOCKED need PostgreSQL (.ci/run uses it)",
    ),
]


def _race(count: int, target: Callable[[], Any]) -> list[Any]:
    """Run ``target`` in ``count`` threads released together; each result or exception."""
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count

    def run(index: int) -> None:
        try:
            barrier.wait()
            results[index] = target()
        except Exception as exc:  # reported to the test, which decides
            results[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_concurrent_reminder_runs_announce_each_document_once(make_user: Any) -> None:
    manager = make_user("shop_manager", username="shopmgr")
    opening = prepared(start_opening(manager), manager)
    soon = timezone.localdate() + timedelta(days=10)
    for code in ("business_licence", "brand_rights", "legal_rep_id"):
        upload(opening, manager, code, expires_on=soon)
    results = _race(4, shop_documents_remind_expiring)
    assert sum(results) == 3, results
    assert Notification.objects.filter(key__startswith="shop-document-expiry:").count() == 3
    assert not opening.documents.filter(expires_on=soon, expiry_notified_at__isnull=True).exists()


def test_the_last_answer_recorded_twice_at_once_approves_once(make_user: Any) -> None:
    manager = make_user("shop_manager", username="shopmgr")
    make_user("designer", username="designer")
    opening = submitted(manager)
    reviews = list(opening.step_records.filter(phase=StepPhase.REVIEW).order_by("position"))
    for record in reviews[:-1]:
        shop_review_pass(opening_id=opening.pk, step_id=record.step_id, by=manager)
    last = reviews[-1].step_id
    results = _race(3, lambda: shop_review_pass(opening_id=opening.pk, step_id=last, by=manager))
    assert not [r for r in results if isinstance(r, Exception)], results
    opening.refresh_from_db()
    assert opening.state == OpeningState.SETTING_UP
    assert ReviewDecision.objects.filter(opening=opening, step_id=last).count() == 1
    assert Notification.objects.filter(key=f"shop-opening:{opening.pk}:setup").count() == 2


def test_opening_twice_at_once_opens_once(make_user: Any) -> None:
    manager = make_user("shop_manager", username="shopmgr")
    boss = make_user("manager", username="boss")
    opening = set_up(approved(manager), boss)
    results = _race(3, lambda: shop_open(opening_id=opening.pk, by=manager))
    assert not [r for r in results if isinstance(r, Exception)], results
    opening.refresh_from_db()
    assert opening.state == OpeningState.OPEN
    assert opening.channel.active
    assert (
        Notification.objects.filter(
            recipient=manager, key=f"shop-opening:{opening.pk}:open"
        ).count()
        == 1
    )
