"""Platform export import (订单导入): upload, preview with row errors, import all or nothing.

The file is a Taobao/Tmall order export saved as CSV (UTF-8, or GB18030 as the seller
centre writes it), one row per order line; rows with the same 订单编号 are one order.
Each order goes through the same checks as an API push (``prepare_order``), so a row
error reads like an API field error. Importing creates every order or none, and an order
already imported (same channel and order number, same content) is skipped, so importing
the same file twice creates nothing twice.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import IO, Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ecomops.errors import ApplicationError, PermissionDeniedError

from ..models import Channel, Order, OrderImport, OrderSource
from .intake import (
    IntakeError,
    OrderPayload,
    SkuResolver,
    canonical_payload,
    differing_fields,
    order_intake,
    payload_hash,
    prepare_order,
)

# Column headers of the platform export, by what we read from them.
COLUMNS = {
    "external_id": "订单编号",
    "buyer": "买家会员名",
    "receiver": "收货人姓名",
    "phone": "联系手机",
    "address": "收货地址",
    "sku": "商家编码",
    "quantity": "购买数量",
    "unit_price": "价格",
    "paid_amount": "买家实际支付金额",
    "paid_at": "订单付款时间",
    "placed_at": "订单创建时间",
    "buyer_note": "买家留言",
}
REQUIRED_COLUMNS = ("external_id", "receiver", "phone", "address", "sku", "quantity", "placed_at")
MAX_BYTES = 50 * 1024 * 1024
_POSTCODE_RE = re.compile(r"[（(]\s*(\d{6})\s*[)）]\s*$")


class ImportFileError(ApplicationError):
    """The file cannot be read as a platform export (encoding, columns, size)."""


@dataclass
class RowResult:
    row: int  # 2 = the first row under the header, as a spreadsheet numbers it
    external_id: str
    status: str  # "new" | "existing" | "error"
    messages: list[str] = field(default_factory=list)


@dataclass
class ImportPreview:
    rows: list[RowResult]
    orders: list[tuple[str, OrderPayload]]  # (status, payload) per order, file order

    @property
    def error_rows(self) -> list[RowResult]:
        return [r for r in self.rows if r.status == "error"]

    @property
    def new_count(self) -> int:
        return sum(1 for status, _payload in self.orders if status == "new")

    @property
    def existing_count(self) -> int:
        return sum(1 for status, _payload in self.orders if status == "existing")


def _decode(raw: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ImportFileError(_("The file is neither UTF-8 nor GB18030 text."))


def _parse_time(text: str) -> datetime | str | None:
    text = text.strip()
    if not text:
        return None
    for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M"):
        try:
            return timezone.make_aware(datetime.strptime(text, fmt))  # noqa: DTZ007
        except ValueError:
            continue
    return text  # intake reports it as a bad date


def split_address(text: str) -> dict[str, str]:
    """ "浙江省 杭州市 西湖区 文三路 100号(310012)" → province, city, district, street, postcode."""
    text = (text or "").strip()
    postcode = ""
    match = _POSTCODE_RE.search(text)
    if match:
        postcode = match.group(1)
        text = text[: match.start()].strip()
    parts = text.split()
    province = parts[0] if parts else ""
    city = parts[1] if len(parts) > 1 else ""
    district = parts[2] if len(parts) > 3 else ""
    street = " ".join(parts[3:] if len(parts) > 3 else parts[2:])
    return {
        "province": province,
        "city": city,
        "district": district,
        "street_address": street,
        "postcode": postcode,
    }


def _quantity(text: str) -> int | str:
    try:
        return int(text.strip())
    except ValueError:
        return text


def read_rows(content: str) -> list[dict[str, str]]:
    """The file's rows keyed by our names; ``ImportFileError`` if columns are missing."""
    reader = csv.DictReader(io.StringIO(content))
    headers = [h.strip() for h in reader.fieldnames or []]
    reader.fieldnames = headers
    missing = [key for key in REQUIRED_COLUMNS if COLUMNS[key] not in headers]
    if missing:
        raise ImportFileError(
            _("The file lacks the columns %(columns)s of a platform order export.")
            % {"columns": ", ".join(COLUMNS[key] for key in missing)}
        )
    return [
        {key: (raw.get(header) or "").strip() for key, header in COLUMNS.items()} for raw in reader
    ]


def _group(rows: list[dict[str, str]]) -> list[tuple[str, list[tuple[int, dict[str, str]]]]]:
    groups: dict[str, list[tuple[int, dict[str, str]]]] = {}
    for index, row in enumerate(rows):
        groups.setdefault(row["external_id"], []).append((index + 2, row))
    return list(groups.items())


def _payload(rows: list[dict[str, str]]) -> OrderPayload:
    first = rows[0]
    address = split_address(first["address"])
    note = first["buyer_note"]
    if first["buyer"]:
        note = (note + "\n" if note else "") + _("Buyer account: %(buyer)s") % {
            "buyer": first["buyer"]
        }
    return {
        "external_id": first["external_id"],
        "placed_at": _parse_time(first["placed_at"]),
        "paid_at": _parse_time(first["paid_at"]),
        "customer": {
            "kind": "individual",
            "name": first["receiver"],
            "phone": first["phone"],
            **address,
        },
        "shipping_address": {"name": first["receiver"], "phone": first["phone"], **address},
        "lines": [
            {"sku": r["sku"], "quantity": _quantity(r["quantity"]), "unit_price": r["unit_price"]}
            for r in rows
        ],
        "needs_invoice": False,
        "buyer_note": note,
    }


def _row_for(path: str, rows: list[tuple[int, dict[str, str]]]) -> int:
    match = re.match(r"lines\[(\d+)\]", path)
    if match and int(match.group(1)) < len(rows):
        return rows[int(match.group(1))][0]
    return rows[0][0]


def _paid_amount_error(rows: list[dict[str, str]], payload: OrderPayload) -> str | None:
    paid = next((r["paid_amount"] for r in rows if r["paid_amount"]), "")
    if not paid:
        return None
    lines = canonical_payload(payload)["lines"]
    try:
        total = sum(
            (Decimal(line["unit_price"]) * int(line["quantity"]) for line in lines), Decimal("0")
        )
        if Decimal(paid).quantize(Decimal("0.01")) != total.quantize(Decimal("0.01")):
            return _("The amount paid %(paid)s is not the sum of the lines %(total)s.") % {
                "paid": paid,
                "total": total.quantize(Decimal("0.01")),
            }
    except (ArithmeticError, ValueError, TypeError):
        return None  # the line checks report the unreadable numbers
    return None


def import_preview(*, channel: Channel, content: str) -> ImportPreview:
    """Check every order of the file as intake would, without storing anything."""
    rows = read_rows(content)
    resolver = SkuResolver(channel)
    groups = _group(rows)
    existing = {
        o.external_id: o
        for o in Order.objects.filter(
            channel=channel, external_id__in=[key for key, _rows in groups]
        ).only("external_id", "payload", "payload_hash", "number")
    }
    results: list[RowResult] = []
    orders: list[tuple[str, OrderPayload]] = []
    for external_id, numbered in groups:
        plain = [row for _n, row in numbered]
        payload = _payload(plain)
        errors: dict[int, list[str]] = {}
        status = "new"
        accepted = existing.get(external_id)
        if not external_id:
            errors.setdefault(numbered[0][0], []).append(_("The order number is empty."))
        elif accepted is not None:
            canonical = canonical_payload(payload)
            if payload_hash(canonical) == accepted.payload_hash:
                status = "existing"
            else:
                fields = differing_fields(accepted.payload, canonical)
                errors.setdefault(numbered[0][0], []).append(
                    _("Order %(number)s was already imported with different %(fields)s.")
                    % {"number": accepted.number, "fields": ", ".join(fields)}
                )
        else:
            try:
                prepare_order(channel, payload, resolver)
            except IntakeError as exc:
                for path, messages in exc.extra.get("fields", {}).items():
                    errors.setdefault(_row_for(path, numbered), []).extend(
                        f"{path}: {m}" for m in messages
                    )
            amount_error = _paid_amount_error(plain, payload)
            if amount_error:
                errors.setdefault(numbered[0][0], []).append(amount_error)
        if errors:
            status = "error"
        orders.append((status, payload))
        for number, _row in numbered:
            results.append(
                RowResult(
                    row=number,
                    external_id=external_id,
                    status="error"
                    if number in errors
                    else ("existing" if status == "existing" else "new"),
                    messages=errors.get(number, []),
                )
            )
    return ImportPreview(rows=results, orders=orders)


def import_upload(*, channel: Channel, upload: IO[bytes], file_name: str, by: Any) -> OrderImport:
    """Store an uploaded export for preview; the file must be readable and have the columns."""
    if not by.has_perm("orders.key_in_order"):
        raise PermissionDeniedError(_("You are not allowed to import orders."))
    raw = upload.read(MAX_BYTES + 1)
    if len(raw) > MAX_BYTES:
        raise ImportFileError(_("The file is larger than 50 MB: split it."))
    content = _decode(raw)
    rows = read_rows(content)
    if not rows:
        raise ImportFileError(_("The file has a header but no orders."))
    preview = import_preview(channel=channel, content=content)
    return OrderImport.objects.create(
        channel=channel,
        file_name=file_name[:200],
        file_sha256=hashlib.sha256(raw).hexdigest(),
        content=content,
        row_count=len(rows),
        order_count=len(preview.orders),
        error_count=len(preview.error_rows),
        uploaded_by=by,
    )


def import_run(*, import_id: int, by: Any) -> OrderImport:
    """Create every new order of the file, or none when any row has an error."""
    if not by.has_perm("orders.key_in_order"):
        raise PermissionDeniedError(_("You are not allowed to import orders."))
    with transaction.atomic():
        order_import = OrderImport.objects.select_for_update().get(pk=import_id)
        if order_import.state == OrderImport.State.IMPORTED:
            return order_import
        channel = order_import.channel
        preview = import_preview(channel=channel, content=order_import.content)
        if preview.error_rows:
            raise ApplicationError(
                _(
                    "%(count)d rows have errors: nothing was imported. Correct the file and "
                    "upload it again."
                )
                % {"count": len(preview.error_rows)},
                {"rows": [r.row for r in preview.error_rows]},
            )
        resolver = SkuResolver(channel)
        created = 0
        for status, payload in preview.orders:
            if status != "new":
                continue
            result = order_intake(
                channel=channel, data=payload, source=OrderSource.IMPORT, by=by, resolver=resolver
            )
            created += int(result.created)
        order_import.state = OrderImport.State.IMPORTED
        order_import.created_count = created
        order_import.skipped_count = len(preview.orders) - created
        order_import.error_count = 0
        order_import.imported_at = timezone.now()
        order_import.save(
            update_fields=["state", "created_count", "skipped_count", "error_count", "imported_at"]
        )
    return order_import
