"""The reconciliation's sweep (issue 23 §3): a run its worker left unfinished is run again,
a summary e-mail that never went out is sent, each once."""

from __future__ import annotations

from datetime import date, time, timedelta
from typing import Any

import pytest
from django.core import mail

from ecomops.calendar import local_datetime
from finance import services, tasks
from finance.models import ReconciliationRun

DAY = date(2026, 11, 20)  # a Friday
NEXT_MORNING = local_datetime(DAY + timedelta(days=1), time(2))

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


@pytest.mark.clock(NEXT_MORNING)
def test_a_run_left_unfinished_is_run_again_and_emailed_once(
    clock: Any, clerk: Any, django_capture_on_commit_callbacks: Any
) -> None:
    # The worker was killed mid-run: the run's row stayed, its transaction rolled back.
    ReconciliationRun.objects.create(day=DAY, started_at=NEXT_MORNING)
    clock.shift(timedelta(minutes=10))
    assert services.reconciliations_resume() == {"rerun": 0, "emailed": 0}  # may still run

    clock.shift(timedelta(hours=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert services.reconciliations_resume() == {"rerun": 1, "emailed": 0}
    run = ReconciliationRun.objects.get(day=DAY)
    assert run.finished_at is not None
    assert run.emailed_at is None
    assert mail.outbox == []

    clock.shift(timedelta(minutes=11))  # its e-mail's own task had its time: it was lost
    with django_capture_on_commit_callbacks(execute=True):
        assert services.reconciliations_resume() == {"rerun": 0, "emailed": 1}
    assert len(mail.outbox) == 1
    assert "2026-11-20" in mail.outbox[0].subject
    run.refresh_from_db()
    assert run.emailed_at is not None
    with django_capture_on_commit_callbacks(execute=True):
        assert services.reconciliations_resume() == {"rerun": 0, "emailed": 0}
        tasks.email_reconciliation(run.pk)  # a duplicate message sends nothing
    assert len(mail.outbox) == 1


@pytest.mark.clock(NEXT_MORNING)
def test_the_nightly_task_marks_its_email_so_the_sweep_sends_nothing(
    clock: Any, clerk: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        tasks.reconcile_yesterday()
    assert len(mail.outbox) == 1
    clock.shift(timedelta(hours=2))
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.resume_reconciliation() == {"rerun": 0, "emailed": 0}
    assert len(mail.outbox) == 1
