"""ecomops.db.retry_on_deadlock: a deadlock is retried once, a second one is a message."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.db import OperationalError, connection, transaction

from ecomops import db
from ecomops.db import BusyError, is_deadlock, retry_on_deadlock
from tests.concurrency import race


def _deadlock() -> OperationalError:
    import psycopg2.errors

    try:
        raise OperationalError("deadlock detected") from psycopg2.errors.DeadlockDetected()
    except OperationalError as exc:
        return exc


@pytest.mark.usefixtures("english")
def test_a_second_deadlock_is_a_clear_message_not_a_500(monkeypatch: pytest.MonkeyPatch) -> None:
    # The pause before the retry is not this test's business (and libfaketime's sleep
    # fails with EINVAL when the clock is moved years ahead, as `make test-dates` does).
    monkeypatch.setattr(db.time, "sleep", lambda seconds: None)
    calls: list[int] = []

    @retry_on_deadlock
    def always_deadlocks() -> None:
        calls.append(1)
        raise _deadlock()

    with pytest.raises(BusyError) as refused:
        always_deadlocks()
    assert len(calls) == 2
    assert refused.value.status_code == 409
    assert "try again" in refused.value.message
    assert is_deadlock(_deadlock())
    assert not is_deadlock(OperationalError("server closed the connection"))


def test_other_database_errors_are_not_retried() -> None:
    calls: list[int] = []

    @retry_on_deadlock
    def fails() -> None:
        calls.append(1)
        raise OperationalError("server closed the connection")

    with pytest.raises(OperationalError):
        fails()
    assert calls == [1]


@pytest.mark.faults
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="a real deadlock needs PostgreSQL (set DATABASE_URL=postgres://…)",
)
def test_a_real_deadlock_is_retried_once_and_both_finish() -> None:
    first, second = Group.objects.create(name="a"), Group.objects.create(name="b")
    both_hold_one = threading.Barrier(2)
    attempts: list[str] = []

    def locker(name: str, order: list[int]) -> Any:
        @retry_on_deadlock
        def lock_both() -> str:
            attempts.append(name)
            with transaction.atomic():
                Group.objects.select_for_update().get(pk=order[0])
                if attempts.count(name) == 1:
                    both_hold_one.wait(timeout=10)
                Group.objects.select_for_update().get(pk=order[1])
                Group.objects.filter(pk=order[0]).update(name=f"{name}-{order[0]}")
            return name

        return lock_both

    results = race([locker("x", [first.pk, second.pk]), locker("y", [second.pk, first.pk])])
    assert sorted(results) == ["x", "y"], results
    assert len(attempts) == 3  # one of the two was aborted by PostgreSQL and ran again
