"""Returns test data: delivered and paid orders, and return requests moved along by the
real services."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from listings.models import Sku
from orders.models import Order, OrderState
from returns.models import ReturnRequest
from returns.services import requests as services
from tests.finance.factories import pay, priced_order


def delivered_order(
    lines: list[tuple[Sku, int, str]],
    *,
    days_ago: int = 1,
    paid: bool = True,
    **fields: Any,
) -> Order:
    """An order delivered ``days_ago`` days ago (shipped in full), paid unless told."""
    now = timezone.now()
    order = priced_order(
        lines,
        state=OrderState.DELIVERED,
        shipped_at=now - timedelta(days=days_ago + 1),
        delivered_at=now - timedelta(days=days_ago),
        **fields,
    )
    if paid:
        pay(order)
    return order


def picture(
    name: str = "photo.jpg", size: tuple[int, int] = (320, 240), fmt: str = "JPEG"
) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 80, 80)).save(buffer, format=fmt)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type=f"image/{fmt.lower()}")


def open_return(
    order: Order,
    by: Any,
    *,
    kind: str = "return",
    reason: str = "damaged",
    quantities: dict[int, int] | None = None,
    **kwargs: Any,
) -> ReturnRequest:
    """A request for ``quantities`` (line position → units; every line in full if not given)."""
    lines = list(order.lines.order_by("position"))
    wanted = quantities or {line.position: line.quantity for line in lines}
    items = [
        services.ReturnItem(order_line_id=line.pk, quantity=wanted[line.position])
        for line in lines
        if line.position in wanted
    ]
    return services.return_open(
        order_id=order.pk, kind=kind, reason=reason, items=items, by=by, **kwargs
    )


def approved(request: ReturnRequest, service: Any) -> ReturnRequest:
    return services.return_approve(request_id=request.pk, by=service)


def awaiting_goods(request: ReturnRequest, service: Any, shop_manager: Any) -> ReturnRequest:
    approved(request, service)
    return services.return_confirm(request_id=request.pk, by=shop_manager)


def received(request: ReturnRequest, service: Any, shop_manager: Any, keeper: Any) -> ReturnRequest:
    awaiting_goods(request, service, shop_manager)
    services.return_record_waybill(request_id=request.pk, waybill="sf1234567890", by=service)
    return services.return_receive(request_id=request.pk, by=keeper)


def restock_all(request: ReturnRequest, keeper: Any, location_id: int) -> ReturnRequest:
    results = [
        services.LineInspection(
            line_id=line.pk, restock_quantity=line.quantity, location_id=location_id
        )
        for line in request.lines.all()
    ]
    return services.return_inspect(request_id=request.pk, results=results, by=keeper)
