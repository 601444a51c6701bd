"""客户对账单: one customer's opening balance, orders with their invoices, payments, refunds
and closing balance for a period, on the page, as PDF (read back with pdftotext) and as
Excel (read back with openpyxl), as the finance clerk downloads it."""

from __future__ import annotations

import io
import shutil
import subprocess
import tempfile
from datetime import date, time
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from ecomops.calendar import local_datetime
from finance import services
from finance.statements import customer_statement
from orders.models import PaymentTerms
from tests.finance.factories import invoice_for, make_channel, make_customer, priced_order

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

TODAY = date(2026, 11, 30)
NOW = local_datetime(TODAY, time(16))


def _at(day: int, hour: int = 10) -> Any:
    return local_datetime(date(2026, 11, day), time(hour))


@pytest.fixture
def account(clerk: Any, manager: Any, sku: Any) -> dict[str, Any]:
    """A company on account: one order in October (paid in part in October), two in
    November, a bank transfer for two orders, a refund paid in November."""
    channel = make_channel(code="agent", kind="agent", payment_terms=PaymentTerms.ON_ACCOUNT)
    customer = make_customer(kind="company", name="杭州示例科技有限公司")
    october = priced_order(
        [(sku, 1, "500.00")],
        channel=channel,
        customer=customer,
        accepted_at=local_datetime(date(2026, 10, 20), time(9)),
    )
    first = priced_order(
        [(sku, 2, "150.00")], channel=channel, customer=customer, accepted_at=_at(3)
    )
    second = priced_order(
        [(sku, 1, "80.00")], channel=channel, customer=customer, accepted_at=_at(12)
    )
    invoice = invoice_for(first, clerk)
    earlier = services.bank_payment_record(
        reference="ICBC-OCT",
        amount=Decimal("200.00"),
        paid_at=local_datetime(date(2026, 10, 25), time(11)),
        payer_name=customer.name,
        customer=customer,
        by=clerk,
    )
    services.payment_match(
        payment_id=earlier.pk, allocations={october.pk: Decimal("200.00")}, by=clerk
    )
    transfer = services.bank_payment_record(
        reference="ICBC-NOV",
        amount=Decimal("700.00"),
        paid_at=_at(20),
        payer_name=customer.name,
        customer=customer,
        by=clerk,
    )
    services.payment_match(
        payment_id=transfer.pk,
        allocations={october.pk: Decimal("300.00"), first.pk: Decimal("300.00")},
        by=clerk,
    )
    refund = services.refund_request(
        order_id=first.pk, amount=Decimal("30.00"), reason="破损补偿", by=manager
    )
    services.refund_approve(refund_id=refund.pk, by=manager)
    services.refund_pay(refund_id=refund.pk, reference="ICBC-RF1", by=clerk)
    # Unrelated: another customer's order never shows.
    priced_order([(sku, 1, "999.00")], channel=channel, accepted_at=_at(5))
    return {
        "customer": customer,
        "first": first,
        "second": second,
        "invoice": invoice,
        "refund": refund,
    }


@pytest.mark.clock(NOW)
def test_balances_carry_from_period_to_period(account):
    customer = account["customer"]
    october = customer_statement(
        customer=customer, period_start=date(2026, 10, 1), period_end=date(2026, 10, 31)
    )
    assert october.opening == Decimal("0.00")
    assert october.orders_total == Decimal("500.00")
    assert october.payments_total == Decimal("200.00")
    assert october.closing == Decimal("300.00")
    november = customer_statement(
        customer=customer, period_start=date(2026, 11, 1), period_end=TODAY
    )
    assert november.opening == october.closing
    assert november.orders_total == Decimal("380.00")
    # The transfer's 700 is 600 matched and 100 not matched yet: all of it is to their credit.
    assert november.payments_total == Decimal("700.00")
    assert november.refunds_total == Decimal("30.00")
    assert november.closing == Decimal("300.00") + Decimal("380.00") - Decimal("700.00")
    kinds = [line.kind for line in november.lines]
    assert kinds == ["order", "order", "payment", "refund"]
    assert november.lines[0].invoices == account["invoice"].number
    assert november.lines[-1].balance == november.closing


@pytest.mark.clock(NOW)
@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler-utils (pdftotext)")
def test_pdf_and_excel_downloads_read_back(client, clerk, account):
    customer = account["customer"]
    clerk.last_name, clerk.first_name = "王", "芳"
    clerk.save()
    client.force_login(clerk)
    base = (
        f"/finance/customers/{customer.pk}/statement/?period_start=2026-11-01&period_end=2026-11-30"
    )
    page = client.get(base)
    assert page.status_code == 200
    html = page.content.decode()
    assert account["first"].number in html
    assert "ICBC-NOV" in html
    response = client.get(base + "&format=pdf")
    assert response["Content-Type"] == "application/pdf"
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "statement.pdf"
        path.write_bytes(response.content)
        text = subprocess.run(  # noqa: S603 (poppler's pdftotext on a file we wrote)
            [shutil.which("pdftotext") or "pdftotext", "-layout", str(path), "-"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    for expected in (
        "客户对账单",
        "杭州示例科技有限公司",
        "2026-11-01 至 2026-11-30",
        "期初余额",
        account["first"].number,
        account["invoice"].number,
        "ICBC-NOV",
        account["refund"].number,
        "300.00",  # opening
        "-20.00",  # closing: 300 + 380 - 700
        "制表：王芳",  # family name first
    ):
        # Long cells wrap: compare without the layout's spaces and line breaks.
        assert "".join(expected.split()) in "".join(text.split()), expected
    assert "贰拾元整（我方应退）" in "".join(text.split())
    workbook = client.get(base + "&format=xlsx")
    assert workbook["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet: Any = load_workbook(io.BytesIO(workbook.content)).active
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert rows[0][0] == "客户对账单"
    header = rows.index(
        ["日期", "类型", "单号", "发票号码", "摘要", "应收金额", "已收金额", "余额"]
    )
    assert rows[header + 1][1] == "期初余额"
    assert rows[header + 1][7] == 300.0
    numbers = [row[2] for row in rows[header + 2 :] if row[1] in ("销售订单", "收款", "退款")]
    assert numbers == [
        account["first"].number,
        account["second"].number,
        "ICBC-NOV",
        account["refund"].number,
    ]
    closing = next(row for row in rows if row[0] == "期末余额")
    assert closing[1] == -20.0
    assert sheet.cell(row=header + 2, column=6).number_format == "#,##0.00"
    assert rows[header + 2][3] == account["invoice"].number


@pytest.mark.clock(NOW)
def test_a_bad_period_is_refused_and_kept(client, clerk, account):
    client.force_login(clerk)
    customer = account["customer"]
    url = f"/finance/customers/{customer.pk}/statement/"
    response = client.get(url, {"period_start": "2026-11-31", "period_end": "2026-11-30"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "Enter a valid date." in html
    assert 'value="2026-11-31"' in html
    response = client.get(url, {"period_start": "2026-11-20", "period_end": "2026-11-01"})
    assert response.status_code == 400
    assert "The period ends before it starts." in response.content.decode()
    assert 'value="2026-11-20"' in response.content.decode()


@pytest.mark.clock(NOW)
def test_only_finance_sees_statements(client, make_user, account):
    client.force_login(make_user("sales_rep", username="rep"))
    url = f"/finance/customers/{account['customer'].pk}/statement/"
    assert client.get(url).status_code == 403
    assert client.get("/finance/customers/").status_code == 403


@pytest.mark.clock(NOW)
def test_the_customer_list_finds_a_customer_with_what_it_owes(client, clerk, account):
    client.force_login(clerk)
    html = client.get("/finance/customers/", {"q": "示例科技"}).content.decode()
    assert "杭州示例科技有限公司" in html
    assert f"/finance/customers/{account['customer'].pk}/statement/" in html
    assert "¥80.00" in html  # the second order is still owed (the first is paid)
