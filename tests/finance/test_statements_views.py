"""The statement screens: import (a bad file keeps the choices; a bank's first file asks for
its columns and is kept), the lines, a line's suggestions, accept and undo."""

from __future__ import annotations

from datetime import date, time
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from ecomops.calendar import local_datetime
from finance import services
from finance.models import StatementLine
from orders.models import Order
from tests.finance.statement_factories import Books, make_books, order_on, sample, sample_orders

pytestmark = pytest.mark.clock(local_datetime(date(2026, 11, 4), time(10)))


@pytest.fixture
def books(db: None) -> Books:
    return make_books()


@pytest.fixture
def orders(books: Books, sku: Any) -> dict[str, Order]:
    return sample_orders(books, sku)


@pytest.fixture
def desk(client: Client, clerk: Any) -> Client:
    client.force_login(clerk)
    return client


def _upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="text/csv")


def test_a_clerk_imports_an_alipay_statement(
    desk: Client, books: Books, orders: dict[str, Order]
) -> None:
    url = reverse("finance:statement_upload")
    assert desk.get(url).status_code == 200
    response = desk.post(
        url,
        {
            "account": "alipay",
            "file": _upload("账务明细.csv", sample("alipay_account_statement.csv")),
        },
    )
    assert response.status_code == 302
    assert StatementLine.objects.filter(account=books.alipay).count() == 9
    page = desk.get(response["Location"])
    assert "20261103110070001000300000008" in page.content.decode()
    listed = desk.get(reverse("finance:statement_list"), {"status": "unmatched"})
    assert listed.status_code == 200
    body = listed.content.decode()
    assert "20261103110070001000300000008" in body  # names no order here
    assert "20261103110070001000300000001" not in body  # matched


def test_a_bad_file_is_refused_with_its_line_and_keeps_the_account(
    desk: Client, books: Books
) -> None:
    text = sample("alipay_account_statement.csv").decode("gbk").replace("-4.95", "-4.9x")
    response = desk.post(
        reverse("finance:statement_upload"),
        {"account": "wechat", "file": _upload("a.csv", text.encode("gbk"))},
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "WeChat Pay" in body or "交易账单" in body  # the wechat reader refused it
    assert '<option value="wechat" selected>' in body
    response = desk.post(
        reverse("finance:statement_upload"),
        {"account": "alipay", "file": _upload("a.csv", text.encode("gbk"))},
    )
    assert response.status_code == 400
    assert "4.9x" in response.content.decode()
    assert '<option value="alipay" selected>' in response.content.decode()
    assert not StatementLine.objects.exists()


def test_a_bank_file_asks_for_the_columns_then_imports_the_kept_file(
    desk: Client, books: Books, orders: dict[str, Order]
) -> None:
    url = reverse("finance:statement_upload")
    first = desk.post(
        url, {"account": "icbc", "file": _upload("明细.csv", sample("bank_statement.csv"))}
    )
    assert first.status_code == 200
    form = first.context["form"]
    assert form.columns[:4] == ["交易日期", "交易时间", "交易流水号", "摘要"]
    assert form["map_income"].value() == "贷方发生额"  # proposed
    token = form["pending"].value()
    assert token
    assert not StatementLine.objects.exists()
    second = desk.post(
        url,
        {
            "account": "icbc",
            "pending": token,
            "pending_name": "明细.csv",
            "columns": form.columns,
            "map_occurred_at": "交易日期",
            "map_time": "交易时间",
            "map_reference": "交易流水号",
            "map_income": "贷方发生额",
            "map_expense": "借方发生额",
            "map_counterparty": "对方户名",
            "map_memo": "摘要",
            "map_purpose": "用途",
        },
    )
    assert second.status_code == 302
    assert StatementLine.objects.filter(account=books.bank).count() == 5
    books.bank.refresh_from_db()
    assert books.bank.column_mapping["purpose"] == "用途"


def test_a_mapping_without_amount_columns_is_refused_and_kept(desk: Client, books: Books) -> None:
    url = reverse("finance:statement_upload")
    first = desk.post(
        url, {"account": "icbc", "file": _upload("明细.csv", sample("bank_statement.csv"))}
    )
    form = first.context["form"]
    response = desk.post(
        url,
        {
            "account": "icbc",
            "pending": form["pending"].value(),
            "pending_name": "明细.csv",
            "columns": form.columns,
            "map_occurred_at": "交易日期",
            "map_counterparty": "对方户名",
        },
    )
    assert response.status_code == 400
    again = response.context["form"]
    assert again["map_counterparty"].value() == "对方户名"
    assert again["pending"].value() == form["pending"].value()
    assert not StatementLine.objects.exists()


def test_a_clerk_accepts_a_suggestion_and_undoes_it(
    desk: Client, books: Books, sku: Any, clerk: Any
) -> None:
    order = order_on(books.distributor, sku, "MO1", total="4000.00")
    services.statement_import(
        account=books.bank,
        file_name="b.csv",
        content=sample("bank_statement.csv"),
        mapping={
            "occurred_at": "交易日期",
            "reference": "交易流水号",
            "income": "贷方发生额",
            "expense": "借方发生额",
            "counterparty": "对方户名",
        },
    )
    line = StatementLine.objects.get(reference="B202611030002")
    page = desk.get(line.get_absolute_url())
    assert page.status_code == 200
    assert page.context["suggestions"][0].order == order
    accepted = desk.post(
        reverse("finance:statement_line_accept", args=[line.pk]), {"order": order.pk}
    )
    assert accepted.status_code == 302
    line.refresh_from_db()
    assert line.order == order
    refused = desk.post(reverse("finance:statement_line_undo", args=[line.pk]), {"reason": ""})
    assert refused.status_code == 400
    line.refresh_from_db()
    assert line.order == order
    undone = desk.post(
        reverse("finance:statement_line_undo", args=[line.pk]), {"reason": "户名不符"}
    )
    assert undone.status_code == 302
    line.refresh_from_db()
    assert line.order is None
    log = desk.get(line.get_absolute_url()).content.decode()
    assert "户名不符" in log


def test_the_screens_need_finance_permissions(client: Client, books: Books, make_user: Any) -> None:
    client.force_login(make_user("picker", username="picker"))
    assert client.get(reverse("finance:statement_list")).status_code == 403
    assert client.get(reverse("finance:statement_upload")).status_code == 403
