"""``ecomops.pgbackend``: the health check asks the server only when the socket says so."""

from __future__ import annotations

import time

import psycopg2
import pytest
from django.conf import settings
from django.db import connection

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's backend"),
    pytest.mark.django_db(transaction=True),
]


def _other_connection() -> psycopg2.extensions.connection:
    db = settings.DATABASES["default"]
    return psycopg2.connect(
        dbname=db["NAME"],
        user=db["USER"],
        password=db["PASSWORD"] or None,
        host=db["HOST"] or None,
        port=db["PORT"] or None,
    )


def test_a_live_idle_connection_is_usable_without_a_round_trip() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 42")
        pid = connection.connection.get_backend_pid()
    assert connection.is_usable()
    other = _other_connection()
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT query FROM pg_stat_activity WHERE pid = %s", [pid])
            (last,) = cursor.fetchone()
    finally:
        other.close()
    assert last == "SELECT 42"  # no SELECT 1 was sent


def test_a_connection_the_server_ended_is_replaced_at_the_next_request() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        pid = connection.connection.get_backend_pid()
    other = _other_connection()
    try:
        other.autocommit = True
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    finally:
        other.close()
    for _wait in range(50):  # the server's goodbye reaches the socket
        if not connection.is_usable():
            break
        time.sleep(0.02)
    assert not connection.is_usable()
    # what Django does when a request starts with health checks on
    connection.health_check_done = False  # type: ignore[attr-defined]
    connection.close_if_health_check_failed()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (new_pid,) = cursor.fetchone()
    assert new_pid != pid
