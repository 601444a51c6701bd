"""Fixtures for every app's tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.utils import translation

from ecomops.calendar import calendar_cache_clear
from ecomops.workcalendar.models import WorkCalendarDay
from ecomops.workcalendar.services import calendar_sync
from tests.factories import UserFactory, ensure_sla_policies


@pytest.fixture
def make_user(db: None) -> Callable[..., Any]:
    """``make_user("sales_rep", "manager")``: a user holding these roles."""

    def _make(*roles: str, **kwargs: Any) -> Any:
        return UserFactory(roles=list(roles), **kwargs)

    return _make


@pytest.fixture(autouse=True)
def _fresh_calendar_cache() -> Iterator[None]:
    """Calendar lookups are cached per process; a rolled-back test must not leak rows."""
    calendar_cache_clear()
    yield
    calendar_cache_clear()


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
        ensure_sla_policies()


@pytest.fixture
def english() -> Iterator[None]:
    """Run with English messages, for tests that read a message's words."""
    with translation.override("en"):
        yield
