"""Fault injection (issue 23 §4): a split's waiting note and a new order race for the last
unit, through the portal as two parts admins would click. PostgreSQL deadlocked 8 times in
20 and answered 500 (the note's lock also took the warehouse row, which the new order's
delivery note then needed for its foreign key check); now one of them gets the unit, the
other a message, never a 500."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from django.db import connection, connections
from django.test import Client
from django.urls import reverse

from tests.orders.factories import listed_sku
from tests.warehouse.factories import make_order, make_warehouse, put_stock
from warehouse import services
from warehouse.models import DeliveryNote, NoteState, StockBalance, StockHold

pytestmark = [
    pytest.mark.faults,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="row locks and deadlocks need PostgreSQL (set DATABASE_URL=postgres://…)",
    ),
]

ROUNDS = 10


class _Gate:
    """A transaction of the test's own holding the SKU's balance row: both requests queue
    behind it in the order the test lets them in, then it lets go. Queued with the new
    order first (holding its order row) and the waiting note second (holding its note, and
    before the fix the warehouse row too), they deadlocked every time."""

    def __init__(self, balance_id: int) -> None:
        import psycopg2

        self.conn = psycopg2.connect(**connection.get_connection_params())
        with self.conn.cursor() as cursor:
            cursor.execute(
                "SELECT id FROM warehouse_stockbalance WHERE id = %s FOR UPDATE", [balance_id]
            )

    def open(self) -> None:
        self.conn.commit()
        self.conn.close()


def _waiting_on_locks() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        row = cursor.fetchone()
    return int(row[0]) if row else 0


def _wait_for_waiters(count: int) -> None:
    deadline = time.monotonic() + 10
    while _waiting_on_locks() < count:
        assert time.monotonic() < deadline, "the request never reached the stock lock"
        time.sleep(0.01)


def _post_in_order(posts: list[tuple[Client, str, dict[str, Any]]], gate: _Gate) -> list[Any]:
    """Each client POSTs from its own thread (its own connection), queued behind ``gate``
    one after the other; then the gate opens and they race."""
    answers: list[Any] = [None] * len(posts)

    def run(index: int) -> None:
        client, url, data = posts[index]
        try:
            answers[index] = client.post(url, data)
        except Exception as exc:  # a 500 raises through the test client
            answers[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(posts))]
    try:
        for count, thread in enumerate(threads, start=1):
            thread.start()
            _wait_for_waiters(count)
    finally:
        gate.open()
        for thread in threads:
            thread.join()
    return answers


def test_waiting_note_and_new_order_race_for_the_last_unit(make_user: Any) -> None:
    make_warehouse()
    sku = listed_sku("SKU-1")
    admins = [make_user("bu_parts_admin", username=f"parts{i}") for i in range(2)]
    clients = []
    for admin in admins:
        client = Client(HTTP_ACCEPT_LANGUAGE="en", raise_request_exception=True)
        client.force_login(admin)
        clients.append(client)
    failures: list[Any] = []
    winners = {"waiting note": 0, "new order": 0}
    started = time.monotonic()
    for round_ in range(ROUNDS):
        # A split: one unit ships now, the other waits on note 2 until stock comes in.
        split_order = make_order([(sku, 2)])
        put_stock(sku, 1)
        _first, waiting = services.allocation_split(order_id=split_order.pk, by=admins[0])
        # The last unit comes in; a new order wants it too.
        put_stock(sku, 1)
        new_order = make_order([(sku, 1)])
        note_post: tuple[Client, str, dict[str, Any]] = (
            clients[0],
            reverse("warehouse:note_allocate", args=[waiting.pk]),
            {},
        )
        order_post = (
            clients[1],
            reverse("warehouse:allocation_queue"),
            {"orders": [str(new_order.pk)]},
        )
        # Half the rounds the new order queues first (the order that deadlocked), half the
        # waiting note; the first in the queue gets the unit.
        posts = [order_post, note_post] if round_ % 2 == 0 else [note_post, order_post]
        answers = _post_in_order(posts, _Gate(StockBalance.objects.get(sku=sku).pk))
        failures.extend(a for a in answers if isinstance(a, Exception) or a.status_code >= 500)
        assert all(not isinstance(a, Exception) and a.status_code == 302 for a in answers), answers
        waiting.refresh_from_db()
        new_note = DeliveryNote.objects.filter(order=new_order).first()
        assert int(waiting.state == NoteState.ALLOCATED) + int(new_note is not None) == 1
        if new_note is None:
            winners["waiting note"] += 1
            assert StockHold.objects.filter(order=new_order, resolved_at=None).exists()
        else:
            winners["new order"] += 1
        balance = StockBalance.objects.get(sku=sku)
        assert balance.reserved == balance.on_hand  # every unit given, none twice
    assert failures == []
    assert winners == {"waiting note": ROUNDS // 2, "new order": ROUNDS // 2}
    balance = StockBalance.objects.get(sku=sku)
    assert (balance.on_hand, balance.reserved) == (2 * ROUNDS, 2 * ROUNDS)
    assert time.monotonic() - started < 60
