"""Returns demo data: return requests in every state (through the real services, so the
refunds, red-letter requests, stock moves and replacement orders exist too), a few weeks of
history for the reasons chart, and the after-sales cases, callbacks and reply scripts.
Run twice, it adds nothing.
"""

from __future__ import annotations

import io
import random
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Q
from django.utils import timezone
from PIL import Image

from ecomops.accounts.roles import ROLES, RoleCode
from ecomops.errors import ApplicationError
from finance.models import Refund, RefundState
from finance.services import refund_approve, refund_pay
from orders.models import Order, OrderState
from warehouse.models import Location

from .models import ReturnKind, ReturnReason, ReturnRequest
from .selectors.requests import returnable_lines, window_is_closed
from .services import photos, requests

Log = Callable[[str], None]


def _user(username: str) -> Any:
    return get_user_model().objects.get(username=username)


def _picture(colour: tuple[int, int, int]) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (640, 480), colour).save(buffer, format="JPEG")
    return SimpleUploadedFile("photo.jpg", buffer.getvalue(), content_type="image/jpeg")


class _Demo:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.service = _user(RoleCode.AFTERSALES_SERVICE)
        self.shop_manager = _user(RoleCode.SHOP_MANAGER)
        self.warehouse = _user(RoleCode.WAREHOUSE_ADMIN)
        self.manager = _user(RoleCode.MANAGER)
        self.finance = _user(RoleCode.FINANCE_CLERK)
        self.location = Location.objects.filter(active=True).order_by("walk_order").first()
        self.orders = list(
            Order.objects.filter(
                state__in=[OrderState.DELIVERED, OrderState.COMPLETED],
                customer__isnull=False,
                total_amount__gt=0,
            )
            .exclude(channel__code="aftersales")
            .filter(Q(payment_allocations__isnull=False) | Q(channel__payment_terms="on_account"))
            .distinct()
            .order_by("-delivered_at", "pk")[:60]
        )

    def open(self, kind: str, reason: str, detail: str = "") -> ReturnRequest | None:
        while self.orders:
            order = self.orders.pop(0)
            lines = [line for line in returnable_lines(order) if line.returnable > 0]
            if not lines:
                continue
            line = lines[0]
            closed = window_is_closed(order)
            try:
                return requests.return_open(
                    order_id=order.pk,
                    kind=kind,
                    reason=reason,
                    reason_detail=detail,
                    items=[requests.ReturnItem(order_line_id=line.line_id, quantity=1)],
                    window_override_reason="老客户，店长同意超期受理" if closed else "",
                    by=self.manager if closed else self.service,
                )
            except ApplicationError:
                continue
        return None

    def to_approved(self, request: ReturnRequest) -> ReturnRequest:
        photos.photos_add(request_id=request.pk, files=[_picture((180, 60, 60))], by=self.service)
        return requests.return_approve(request_id=request.pk, by=self.service)

    def to_awaiting_goods(self, request: ReturnRequest) -> ReturnRequest:
        self.to_approved(request)
        return requests.return_confirm(request_id=request.pk, by=self.shop_manager)

    def to_received(self, request: ReturnRequest) -> ReturnRequest:
        self.to_awaiting_goods(request)
        requests.return_record_waybill(
            request_id=request.pk,
            waybill=f"SF{self.rng.randint(10**11, 10**12 - 1)}",
            carrier="顺丰",
            by=self.service,
        )
        return requests.return_receive(request_id=request.pk, by=self.warehouse)

    def inspect(self, request: ReturnRequest, *, write_off: bool = False) -> ReturnRequest:
        self.to_received(request)
        line = request.lines.get()
        result = (
            requests.LineInspection(
                line_id=line.pk,
                write_off_quantity=line.quantity,
                write_off_reason="外壳碎裂，无法二次销售",
            )
            if write_off
            else requests.LineInspection(
                line_id=line.pk,
                restock_quantity=line.quantity,
                location_id=self.location.pk if self.location else None,
            )
        )
        return requests.return_inspect(request_id=request.pk, results=[result], by=self.warehouse)


def seed_returns(log: Log) -> None:
    from .demo_kb import seed_cases_and_scripts

    users = {code: _user(code) for code in ROLES}
    if not ReturnRequest.objects.exists():
        _seed_requests(log)
    else:
        log("returns: requests already there")
    seed_cases_and_scripts(users_by_role=users)
    log("returns: cases, callbacks and reply scripts")


def _seed_requests(log: Log) -> None:
    demo = _Demo(random.Random(7))  # noqa: S311 (demo data)
    made: list[ReturnRequest] = []

    def keep(request: ReturnRequest | None) -> ReturnRequest | None:
        if request is not None:
            made.append(request)
        return request

    # Waiting for service
    keep(demo.open(ReturnKind.RETURN, ReturnReason.DAMAGED, "收到时外箱压扁，商品有划痕"))
    if r := keep(demo.open(ReturnKind.EXCHANGE, ReturnReason.DEFECTIVE, "开机无反应")):
        photos.photo_link_create(request_id=r.pk, by=demo.service)
    if r := keep(demo.open(ReturnKind.RETURN, ReturnReason.NOT_AS_DESCRIBED, "颜色与详情页不符")):
        photos.photos_add(request_id=r.pk, files=[_picture((60, 60, 180))], by=demo.service)
    # Waiting for the shop manager
    if r := keep(demo.open(ReturnKind.REFUND_ONLY, ReturnReason.MISSING_PARTS, "少发一个配件")):
        requests.return_approve(request_id=r.pk, by=demo.service)
    if r := keep(demo.open(ReturnKind.RETURN, ReturnReason.WRONG_SIZE, "型号买错")):
        demo.to_approved(r)
    # Waiting for goods (one on its way, one overdue and reminded)
    if r := keep(demo.open(ReturnKind.RETURN, ReturnReason.CHANGED_MIND)):
        demo.to_awaiting_goods(r)
        requests.return_record_waybill(
            request_id=r.pk, waybill="YT7712345678901", carrier="圆通", by=demo.service
        )
    if r := keep(demo.open(ReturnKind.EXCHANGE, ReturnReason.WRONG_ITEM, "发错颜色")):
        demo.to_awaiting_goods(r)
        ReturnRequest.objects.filter(pk=r.pk).update(
            confirmed_at=timezone.now() - timedelta(days=4)
        )
        requests.returns_chase()
    # The warehouse's desk
    if r := keep(demo.open(ReturnKind.RETURN, ReturnReason.DEFECTIVE, "屏幕有坏点")):
        demo.to_received(r)
    # With finance, replacement on its way, closed
    if r := keep(demo.open(ReturnKind.RETURN, ReturnReason.DAMAGED, "运输破损")):
        demo.inspect(r)
    if r := keep(demo.open(ReturnKind.EXCHANGE, ReturnReason.DEFECTIVE, "无法充电")):
        demo.inspect(r)
    if r := keep(demo.open(ReturnKind.RETURN, ReturnReason.DAMAGED, "摔坏")):
        demo.inspect(r, write_off=True)
        _pay_refund(r, demo)
    if r := keep(demo.open(ReturnKind.REFUND_ONLY, ReturnReason.LATE_DELIVERY, "超时发货补偿")):
        requests.return_approve(request_id=r.pk, by=demo.service)
        requests.return_confirm(request_id=r.pk, by=demo.shop_manager)
        _pay_refund(r, demo)
    # Turned down, withdrawn, expired
    if r := keep(demo.open(ReturnKind.RETURN, ReturnReason.CHANGED_MIND, "已拆封使用")):
        requests.return_reject(
            request_id=r.pk, why="商品已使用且影响二次销售，不符合七天无理由条件", by=demo.service
        )
    if r := keep(demo.open(ReturnKind.EXCHANGE, ReturnReason.WRONG_SIZE)):
        requests.return_withdraw(request_id=r.pk, note="客户表示不需要换了", by=demo.service)
    if r := keep(demo.open(ReturnKind.RETURN, ReturnReason.OTHER, "客户说不想要了，但一直没寄回")):
        demo.to_awaiting_goods(r)
        ReturnRequest.objects.filter(pk=r.pk).update(
            confirmed_at=timezone.now() - timedelta(days=15)
        )
        requests.returns_chase()
    # Some weeks of history for the chart: move the older requests back in time.
    rng = random.Random(11)  # noqa: S311 (demo data)
    for request in made[:-6]:
        weeks_back = rng.randint(0, 7)
        ReturnRequest.objects.filter(pk=request.pk).update(
            opened_at=request.opened_at - timedelta(weeks=weeks_back, hours=rng.randint(0, 40))
        )
    log(f"returns: {len(made)} return requests")


def _pay_refund(request: ReturnRequest, demo: _Demo) -> None:
    refund = Refund.objects.filter(
        source_reference=request.number, state=RefundState.REQUESTED
    ).first()
    if refund is None:
        return
    refund_approve(refund_id=refund.pk, by=demo.manager)
    refund_pay(refund_id=refund.pk, reference=f"ALIRF{refund.pk:08d}", by=demo.finance)
