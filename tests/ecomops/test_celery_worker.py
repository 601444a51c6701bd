"""A real Celery worker against the real broker: runs in CI, where the broker is Redis."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, cast

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
    """A worker thread storing results, whatever ran in this process before.

    Celery reads some settings once and keeps them: each task class its ``ignore_result``
    when the app first binds it, and the app its result backend when first used. After
    earlier tests ran tasks eagerly (with no result backend configured, results ignored),
    changing ``app.conf`` reaches neither, and ``.get()`` answered None at once. So the
    tasks get a result backend object and ``ignore_result=False`` themselves, restored
    afterwards; messages left on the queue by earlier runs are purged so the solo worker
    runs only this test's tasks.
    """
    from celery.app.backends import by_url
    from celery.contrib.testing.worker import start_worker

    url = settings.CELERY_RESULT_BACKEND or settings.CELERY_BROKER_URL
    backend_cls, backend_url = cast(tuple[Any, str], by_url(url, app.loader))
    backend = backend_cls(app=app, url=backend_url)
    previous = {
        k: app.conf[k] for k in ("task_always_eager", "result_backend", "task_ignore_result")
    }
    # Every task imported and bound now, with the settings as they are.
    app.loader.import_default_modules()
    tasks = list(app.tasks.values())
    kept = [(task, type(task).ignore_result, getattr(task, "_backend", None)) for task in tasks]
    app.conf.update(task_always_eager=False, result_backend=url, task_ignore_result=False)
    for task in tasks:
        type(task).ignore_result = False
        task.backend = backend
    app.control.purge()
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, loglevel="WARNING") as w:
            yield w
    finally:
        app.conf.update(previous)
        for task, ignore_result, task_backend in kept:
            type(task).ignore_result = ignore_result
            task.backend = task_backend  # type: ignore[assignment]


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
