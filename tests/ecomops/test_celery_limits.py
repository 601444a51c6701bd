"""The broker's visibility timeout and the task time limits agree (issue 23 §2): no task
outlives its message's visibility, and a publish to a broker that is down gives up fast."""

from __future__ import annotations

from django.conf import settings

from ecomops.celery import app


def test_a_task_is_killed_before_redis_would_hand_its_message_to_another_worker() -> None:
    assert settings.CELERY_TASK_SOFT_TIME_LIMIT < settings.CELERY_TASK_TIME_LIMIT
    assert settings.CELERY_TASK_TIME_LIMIT < settings.CELERY_BROKER_VISIBILITY_TIMEOUT
    assert settings.CELERY_TASK_TIME_LIMIT == 30 * 60
    assert settings.CELERY_BROKER_VISIBILITY_TIMEOUT == 60 * 60
    assert app.conf.task_time_limit == settings.CELERY_TASK_TIME_LIMIT
    assert app.conf.task_reject_on_worker_lost
    assert app.conf.worker_prefetch_multiplier == 1


def test_a_publish_gives_up_within_about_a_second() -> None:
    policy = settings.CELERY_TASK_PUBLISH_RETRY_POLICY
    assert policy["max_retries"] * policy["interval_max"] <= 1


def test_the_sweeps_behind_the_tasks_are_registered() -> None:
    app.loader.import_default_modules()
    for name in (
        "warehouse.tasks.release_batch",
        "warehouse.tasks.resume_batches",
        "ecomops.notifications.tasks.send_unsent_emails",
        "finance.tasks.resume_reconciliation",
    ):
        assert name in app.tasks
        assert app.tasks[name].acks_late
