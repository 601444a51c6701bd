"""Enqueueing Celery tasks from services, after the transaction commits (DESIGN §7).

Services name the task ("warehouse.tasks.release_batch") instead of importing it, so a
service never imports its app's tasks module (import-linter keeps tasks above services).
"""

from __future__ import annotations

import threading
from typing import Any

from django.db import transaction

_IMPORTING = threading.Lock()


def enqueue(task_name: str, *args: Any, **kwargs: Any) -> None:
    """Send ``task_name`` with these arguments once the current transaction commits.

    A crash between commit and publish can still lose the message: anything that must
    happen is also found again by a sweep over database state.
    """

    def _send() -> None:
        from ecomops.celery import app

        task = app.tasks.get(task_name)
        if task is None:
            # Outside a worker the apps' tasks modules are imported on first need, once: a
            # second thread asking meanwhile waits (it found the task missing while the first
            # was still importing, and failed with NotRegistered).
            with _IMPORTING:
                app.loader.import_default_modules()
                task = app.tasks[task_name]
        task.apply_async(args=args, kwargs=kwargs)

    transaction.on_commit(_send)
