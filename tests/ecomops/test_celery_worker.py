"""A real Celery worker against the real broker: runs in CI, where the broker is Redis."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.core import mail

from ecomops.celery import app
from ecomops.notifications.models import Notification
from ecomops.notifications.services import notify_users

pytestmark = pytest.mark.skipif(
    not settings.CELERY_BROKER_URL.startswith("redis"),
    reason="needs CELERY_BROKER_URL=redis://... (CI sets it; the embedded default is filesystem)",
)


@pytest.fixture
def worker() -> Iterator[Any]:
    from celery.contrib.testing.worker import start_worker

    backend = settings.CELERY_RESULT_BACKEND or settings.CELERY_BROKER_URL
    previous = {
        k: app.conf[k] for k in ("task_always_eager", "result_backend", "task_ignore_result")
    }
    app.conf.update(task_always_eager=False, result_backend=backend, task_ignore_result=False)
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, loglevel="WARNING") as w:
            yield w
    finally:
        app.conf.update(previous)


@pytest.mark.django_db(transaction=True)
def test_worker_runs_tasks_end_to_end(worker: Any, make_user: Any) -> None:
    answer = app.tasks["ecomops.portal.tasks.ping"].delay().get(timeout=30)
    assert answer.startswith("pong ")

    user = make_user("finance_clerk")
    # notify_users enqueues the e-mail on commit; the worker thread sends it.
    [note] = notify_users(users=[user], title="测试通知", body="worker end to end")
    result = app.tasks["ecomops.notifications.tasks.send_notification_emails"].delay([note.pk])
    assert result.get(timeout=30) in (0, 1)
    note.refresh_from_db()
    assert note.emailed_at is not None
    assert any("测试通知" in m.subject for m in mail.outbox)
    assert Notification.objects.get(pk=note.pk).emailed_at is not None
