"""Repeat customers (复购客户): two or more orders that were not cancelled, with their
figures, in one query however many customers."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from orders.models import OrderState
from returns.selectors import cases as selectors
from tests.returns.kb_factories import customer, order_for, return_request_for
from tests.timeutil import at

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


@pytest.fixture
def buyers(db: None) -> dict[str, Any]:
    loyal = customer(name="刘洋", phone="13600000001")
    first = order_for(loyal, total="199.00", placed_at=at(2026, 3, 1, 10))
    order_for(loyal, total="58.50", placed_at=at(2026, 9, 15, 20))
    order_for(loyal, total="1000.00", placed_at=at(2026, 11, 1, 9), state=OrderState.CANCELLED)
    order_for(loyal, total="20.00", placed_at=at(2026, 11, 20, 8), state=OrderState.CONFIRMED)
    return_request_for(first)
    once = customer(name="一次客户", phone="13600000002")
    order_for(once)
    cancelled_twice = customer(name="取消客户", phone="13600000003")
    order_for(cancelled_twice)
    order_for(cancelled_twice, state=OrderState.CANCELLED)
    pair = customer(name="马超", phone="13600000004")
    order_for(pair, total="10.00", placed_at=at(2026, 10, 1, 12))
    order_for(pair, total="10.00", placed_at=at(2026, 10, 2, 12))
    return {"loyal": loyal, "pair": pair}


def test_only_customers_with_two_live_orders_with_their_figures(buyers):
    rows: list[Any] = list(selectors.repeat_customers())
    assert [r.name for r in rows] == ["刘洋", "马超"]
    loyal, pair = rows
    assert loyal.order_count == 3  # the cancelled order does not count
    assert loyal.total_amount == Decimal("277.50")
    assert loyal.first_order_at == at(2026, 3, 1, 10)
    assert loyal.last_order_at == at(2026, 11, 20, 8)
    assert loyal.return_count == 1
    assert (pair.order_count, pair.total_amount, pair.return_count) == (2, Decimal("20.00"), 0)


def test_search_by_name_or_phone(buyers):
    assert [c.name for c in selectors.repeat_customers(q="马超")] == ["马超"]
    assert [c.name for c in selectors.repeat_customers(q="0001")] == ["刘洋"]
    assert list(selectors.repeat_customers(q="一次客户")) == []


def test_the_page_shows_the_figures(client, service, buyers):
    client.force_login(service)
    page = client.get(reverse("returns:repeat_customers")).content.decode()
    table = page[page.index('id="repeat-customers"') :]
    assert "刘洋" in table
    assert "马超" in table
    assert "一次客户" not in table
    assert "取消客户" not in table
    assert "277.50" in table
    assert "2026-03-01" in table
    assert "2026-11-20" in table


def test_a_picker_does_not_see_the_page(client, make_user):
    client.force_login(make_user("picker"))
    assert client.get(reverse("returns:repeat_customers")).status_code == 403


def test_the_figures_are_one_query(buyers, django_assert_num_queries):
    with django_assert_num_queries(1):
        rows: list[Any] = list(selectors.repeat_customers())
        assert [(r.order_count, r.return_count) for r in rows] == [(3, 1), (2, 0)]


def _queries(client: Any, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_repeat_customers_query_count_does_not_grow_with_rows(client, service):
    def repeat(count: int) -> None:
        for _n in range(count):
            buyer = customer()
            return_request_for(order_for(buyer))
            order_for(buyer)

    client.force_login(service)
    url = reverse("returns:repeat_customers")
    repeat(3)
    with_three = _queries(client, url)
    repeat(7)
    assert _queries(client, url) == with_three
    assert len(list(selectors.repeat_customers())) == 10
