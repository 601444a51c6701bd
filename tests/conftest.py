"""Fixtures for every app's tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.utils import translation

from ecomops.calendar import calendar_cache_clear
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
def _default_sla_policies(request: pytest.FixtureRequest) -> None:
    """A transactional test runs after an earlier one flushed the tables, and with them the
    rows data migrations created; the SLA policies every process needs are put back."""
    marker = request.node.get_closest_marker("django_db")
    if marker is not None and marker.kwargs.get("transaction"):
        request.getfixturevalue("transactional_db")
        ensure_sla_policies()


@pytest.fixture
def english() -> Iterator[None]:
    """Run with English messages, for tests that read a message's words."""
    with translation.override("en"):
        yield
