"""Database helpers of the kernel: a deadlock or serialization failure retried once.

PostgreSQL aborts one of two transactions that wait for each other (a deadlock, SQLSTATE
40P01) or that a serializable snapshot cannot order (40001). Locking only the rows meant
(``select_for_update(of=("self",))``) in one order everywhere (stock balances by pk) keeps
deadlocks away; what is left (a lock order no code path can fix, e.g. a foreign key check
against a row another transaction holds) is retried here once, as a whole transaction, and
answered with a clear message if the second try fails too: never a 500.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

from django.db import DEFAULT_DB_ALIAS, OperationalError, connections
from django.utils.translation import gettext as _

from ecomops.errors import ConflictError

log = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")

# deadlock_detected, serialization_failure
RETRIED_SQLSTATES = frozenset({"40P01", "40001"})
# the same errors by their class in psycopg2 and psycopg 3 (a raised one without its code)
RETRIED_ERRORS = frozenset({"DeadlockDetected", "SerializationFailure"})


class BusyError(ConflictError):
    """Another user's work held the same rows twice in a row: try again (HTTP 409)."""


def is_deadlock(exc: BaseException) -> bool:
    """Whether ``exc`` (Django's ``OperationalError``) is a deadlock or serialization
    failure PostgreSQL aborted the transaction for."""
    cause = exc.__cause__ or exc
    code = getattr(cause, "pgcode", None) or getattr(cause, "sqlstate", None)
    return code in RETRIED_SQLSTATES or type(cause).__name__ in RETRIED_ERRORS


def busy_error() -> BusyError:
    return BusyError(
        _(
            "Someone else was changing the same stock or orders at this moment and this could "
            "not be saved. Nothing was changed: please try again."
        )
    )


def retry_on_deadlock(func: Callable[P, R]) -> Callable[P, R]:
    """Run ``func`` (which opens its own ``transaction.atomic``) again once if PostgreSQL
    aborted it as a deadlock or serialization failure; if the retry fails the same way,
    raise ``BusyError`` (a 409 with a message). Inside a caller's transaction nothing can
    be retried (the whole transaction is lost): the failure is only turned into
    ``BusyError`` and the caller's transaction rolls back with it."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        retry = not connections[DEFAULT_DB_ALIAS].in_atomic_block
        try:
            return func(*args, **kwargs)
        except OperationalError as exc:
            if not is_deadlock(exc):
                raise
            if not retry:
                raise busy_error() from exc
            log.warning("%s: %s; retrying once", func.__qualname__, exc)
        time.sleep(0.05)  # let the transaction that won finish first
        try:
            return func(*args, **kwargs)
        except OperationalError as exc:
            if not is_deadlock(exc):
                raise
            log.warning("%s: %s again; refused", func.__qualname__, exc)
            raise busy_error() from exc

    return wrapper


def with_retry_on_deadlock(func: Callable[..., R], /, *args: Any, **kwargs: Any) -> R:
    """``retry_on_deadlock(func)(*args, **kwargs)``, for one call."""
    return retry_on_deadlock(func)(*args, **kwargs)
