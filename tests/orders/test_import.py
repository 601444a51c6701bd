"""Platform export import: preview with row errors, all or nothing, re-import."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from ecomops.errors import ApplicationError
from orders import services
from orders.models import Order, OrderImport
from orders.services.imports import COLUMNS, split_address

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

HEADER = list(COLUMNS.values())


def export(rows: list[dict[str, str]], encoding: str = "utf-8-sig") -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=HEADER)
    writer.writeheader()
    for row in rows:
        writer.writerow({COLUMNS[k]: v for k, v in row.items()})
    return out.getvalue().encode(encoding)


def row(external_id: str, **overrides: str) -> dict[str, str]:
    data = {
        "external_id": external_id,
        "buyer": "tb_lina",
        "receiver": "李娜",
        "phone": "13800138000",
        "address": "北京市 北京市 朝阳区 建国路88号(100020)",
        "sku": "SKU-1",
        "quantity": "2",
        "unit_price": "99.00",
        "paid_amount": "198.00",
        "paid_at": "2026-11-20 10:01:00",
        "placed_at": "2026-11-20 10:00:00",
        "buyer_note": "",
    }
    data.update(overrides)
    return data


def upload(channel: Any, user: Any, content: bytes, name: str = "orders.csv") -> OrderImport:
    return services.import_upload(
        channel=channel, upload=SimpleUploadedFile(name, content), file_name=name, by=user
    )


@pytest.fixture
def rep(make_user: Any) -> Any:
    return make_user("sales_rep")


def test_address_is_split_like_the_export_writes_it() -> None:
    assert split_address("浙江省 杭州市 西湖区 文三路 100号(310012)") == {
        "province": "浙江省",
        "city": "杭州市",
        "district": "西湖区",
        "street_address": "文三路 100号",
        "postcode": "310012",
    }


def test_preview_then_import_groups_lines_into_orders(channel: Any, sku: Any, rep: Any) -> None:
    content = export(
        [
            row("T1", paid_amount="297.00"),
            row("T1", quantity="1", paid_amount="297.00"),
            row("T2", paid_amount=""),
        ]
    )
    order_import = upload(channel, rep, content)
    assert (order_import.row_count, order_import.order_count, order_import.error_count) == (3, 2, 0)
    assert Order.objects.count() == 0  # a preview stores no order
    done = services.import_run(import_id=order_import.pk, by=rep)
    assert (done.state, done.created_count) == ("imported", 2)
    order = Order.objects.get(external_id="T1")
    assert [line.quantity for line in order.lines.all()] == [2, 1]
    assert order.source == "import"
    assert order.ship_city == "北京市"


def test_gb18030_export_is_read(channel: Any, sku: Any, rep: Any) -> None:
    order_import = upload(channel, rep, export([row("G1")], encoding="gb18030"))
    assert order_import.error_count == 0


def test_row_errors_name_the_row_and_nothing_is_imported(channel: Any, sku: Any, rep: Any) -> None:
    content = export(
        [row("E1"), row("E2", sku="NOPE"), row("E3", quantity="0"), row("E4", paid_amount="1.00")]
    )
    order_import = upload(channel, rep, content)
    preview = services.import_preview(channel=channel, content=order_import.content)
    errors = {r.row: " ".join(r.messages) for r in preview.error_rows}
    assert set(errors) == {3, 4, 5}
    assert "Unknown SKU NOPE" in errors[3]
    assert "at least 1" in errors[4]
    assert "not the sum" in errors[5]
    with pytest.raises(ApplicationError, match="nothing was imported"):
        services.import_run(import_id=order_import.pk, by=rep)
    assert Order.objects.count() == 0


def test_reimporting_the_same_file_creates_nothing_twice(channel: Any, sku: Any, rep: Any) -> None:
    content = export([row("S1"), row("S2")])
    services.import_run(import_id=upload(channel, rep, content).pk, by=rep)
    again = upload(channel, rep, content)
    preview = services.import_preview(channel=channel, content=again.content)
    assert (preview.new_count, preview.existing_count) == (0, 2)
    done = services.import_run(import_id=again.pk, by=rep)
    assert (done.created_count, done.skipped_count) == (0, 2)
    assert Order.objects.count() == 2


def test_changed_row_of_an_imported_order_is_an_error(channel: Any, sku: Any, rep: Any) -> None:
    services.import_run(import_id=upload(channel, rep, export([row("C1")])).pk, by=rep)
    changed = upload(channel, rep, export([row("C1", quantity="3", paid_amount="297.00")]))
    preview = services.import_preview(channel=channel, content=changed.content)
    assert "already imported with different" in preview.error_rows[0].messages[0]


def test_file_without_the_export_columns_is_refused(channel: Any, rep: Any) -> None:
    with pytest.raises(services.ImportFileError, match="lacks the columns"):
        upload(channel, rep, b"a,b\n1,2\n")


def test_importing_needs_the_permission(channel: Any, make_user: Any) -> None:
    with pytest.raises(ApplicationError):
        upload(channel, make_user("picker"), export([row("P1")]))
