"""Enqueueing Celery tasks from services, after the transaction commits (DESIGN §7).

Services name the task ("warehouse.tasks.release_batch") instead of importing it, so a
service never imports its app's tasks module (import-linter keeps tasks above services).

The message is sent after the work is saved, so a broker that cannot take it (Redis down,
a network cut) must not fail the request that saved it: the error is logged and the
request answers as usual. Every task sent here is also found again from database state by
a sweep (docs/reliability.md lists them), which does the job once the broker is back.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from django.db import transaction

_IMPORTING = threading.Lock()

log = logging.getLogger(__name__)


def enqueue(task_name: str, *args: Any, **kwargs: Any) -> None:
    """Send ``task_name`` with these arguments once the current transaction commits.

    A crash between commit and publish, or a broker that refuses the message, loses it:
    anything that must happen is also found again by a sweep over database state. A failed
    publish is logged, never raised (the transaction is committed; the user's work is saved).
    """
    transaction.on_commit(lambda: send_now(task_name, *args, **kwargs))


def send_now(task_name: str, *args: Any, **kwargs: Any) -> bool:
    """Send ``task_name`` now, outside any transaction (a task handing on work it found in
    the database). A broker error is logged, not raised; returns whether it was sent."""
    from ecomops.celery import app

    task = app.tasks.get(task_name)
    if task is None:
        # Outside a worker the apps' tasks modules are imported on first need, once: a
        # second thread asking meanwhile waits (it found the task missing while the first
        # was still importing, and failed with NotRegistered).
        with _IMPORTING:
            app.loader.import_default_modules()
            task = app.tasks[task_name]
    if app.conf.task_always_eager:
        # Run here and now (tests): a task that fails fails its caller, as it should.
        task.apply_async(args=args, kwargs=kwargs)
        return True
    try:
        task.apply_async(args=args, kwargs=kwargs)
    except Exception:
        # kombu's OperationalError, redis' ConnectionError, a timeout: whatever the broker
        # raised, the work is saved and a sweep does it later.
        log.exception("could not enqueue %s: a sweep will do it later", task_name)
        return False
    return True
