"""Fixtures for every app's tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import pytest
import time_machine
from django.utils import translation

from ecomops.calendar import calendar_cache_clear
from ecomops.cutoffs import cut_schedule_forget
from ecomops.sla.services import sla_policies_forget
from ecomops.workcalendar.models import WorkCalendarDay
from ecomops.workcalendar.services import calendar_sync
from orders.selectors import Blacklist
from tests.factories import UserFactory, reseed_after_flush


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "clock(when): run the test, and create every fixture's data, at the aware datetime "
        "`when` with the clock stopped; the `clock` fixture moves it on",
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A test marked ``clock`` travels before any other fixture runs, so data fixtures and
    factories read the pinned clock, not the real one."""
    for item in items:
        if item.get_closest_marker("clock") is not None:
            names = item.fixturenames  # type: ignore[attr-defined]
            if "clock" in names:
                names.remove("clock")
            names.insert(0, "clock")


@pytest.fixture
def clock(request: pytest.FixtureRequest) -> Iterator[time_machine.Traveller]:
    """The clock a ``@pytest.mark.clock(when)`` test runs on, stopped at ``when``:
    ``clock.shift(timedelta(hours=1))`` and ``clock.move_to(at(...))`` move it on.
    A module pins all its tests with ``pytestmark = pytest.mark.clock(when)``."""
    marker = request.node.get_closest_marker("clock")
    if marker is None or len(marker.args) != 1:
        pytest.fail("the clock fixture needs @pytest.mark.clock(when) on the test")
    when = marker.args[0]
    if not isinstance(when, datetime) or when.tzinfo is None:
        pytest.fail(f"@pytest.mark.clock needs an aware datetime, not {when!r}")
    with time_machine.travel(when, tick=False) as traveller:
        yield traveller


@pytest.fixture
def make_user(db: None) -> Callable[..., Any]:
    """``make_user("sales_rep", "manager")``: a user holding these roles."""

    def _make(*roles: str, **kwargs: Any) -> Any:
        return UserFactory(roles=list(roles), **kwargs)

    return _make


@pytest.fixture
def plain_statements(settings: Any) -> None:
    """Statements run as written, never as prepared ones (``ecomops.compiled.execute``):
    for tests that pin the statements a service runs."""
    settings.DB_PREPARED_STATEMENTS = False


@pytest.fixture(autouse=True)
def _joins_allowed() -> None:
    """Celery keeps "joining a result would block here" in one process-wide flag, which an
    eager task sets and restores around its run: tasks run eagerly from several threads
    (the concurrency tests) can leave it set, and every later test's ``.get()`` on an eager
    result then raises "Never call result.get() within a task". A real worker's pool sets
    it too. Each test starts with it cleared."""
    from celery._state import _set_task_join_will_block  # type: ignore[attr-defined]

    _set_task_join_will_block(False)


@pytest.fixture(autouse=True)
def _fresh_calendar_cache() -> Iterator[None]:
    """Calendar lookups, SLA policies and the blacklist are kept per process; a rolled-back
    test must not leak rows."""
    calendar_cache_clear()
    sla_policies_forget()
    Blacklist.forget()
    cut_schedule_forget()
    yield
    calendar_cache_clear()
    sla_policies_forget()
    Blacklist.forget()


@pytest.fixture(autouse=True)
def _seed_data_after_flush(request: pytest.FixtureRequest) -> None:
    """A transactional test flushes the tables when it ends, and with them the rows data
    migrations created (SLA policies, the official calendar). Whatever test runs next on
    that worker, transactional or not, gets them back."""
    marker = request.node.get_closest_marker("django_db")
    transactional = marker is not None and bool(marker.kwargs.get("transaction"))
    if transactional:
        request.getfixturevalue("transactional_db")
    elif marker is not None or "db" in request.fixturenames:
        request.getfixturevalue("db")
    else:
        return
    flushed = not WorkCalendarDay.objects.exists()
    if flushed:
        calendar_sync()
        calendar_cache_clear()
    if flushed or transactional:
        reseed_after_flush()


@pytest.fixture
def english() -> Iterator[None]:
    """Run with English messages, for tests that read a message's words."""
    with translation.override("en"):
        yield
