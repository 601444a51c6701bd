"""Signed channel intake API: ``POST /api/v1/channels/<code>/orders`` (issue: Orders).

The serializers describe the payload (and the OpenAPI schema); the business checks are
the intake service's, so an API push, an import row and a keyed-in order are refused for
the same reasons with the same words. Every error answers
``{"detail": ..., "fields": {"lines[0].sku": [...]}}``.
"""

from __future__ import annotations

import threading
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from ecomops.api import SIGNATURE_HEADER, TIMESTAMP_HEADER, SignedEndpoint, verify_signature
from ecomops.bounds import (
    LIST_MAX_ITEMS,
    moment_field,
    money_field,
    quantity_field,
    unit_price_field,
)
from ecomops.errors import ApplicationError

from . import services
from .models import Channel, CustomerKind, ExceptionCode, InvoiceKind, Order
from .selectors import channel_for_intake, open_reasons_of
from .services.intake import REQUESTED_CARRIER_PATTERN


class CustomerInSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=CustomerKind.choices)
    # Blank is the intake's to judge: marketplaces hide the buyer's name (parked, not refused).
    name = serializers.CharField(max_length=200, allow_blank=True)
    phone = serializers.CharField(max_length=30, required=False, allow_blank=True)
    email = serializers.CharField(max_length=254, required=False, allow_blank=True)
    id_number = serializers.CharField(
        max_length=30, required=False, allow_blank=True, help_text="Individuals: 18-digit ID."
    )
    credit_code = serializers.CharField(
        max_length=30,
        required=False,
        allow_blank=True,
        help_text="Companies: unified social credit code (GB 32100).",
    )
    contact_person = serializers.CharField(max_length=100, required=False, allow_blank=True)
    postcode = serializers.CharField(max_length=10, required=False, allow_blank=True)
    province = serializers.CharField(max_length=50, required=False, allow_blank=True)
    city = serializers.CharField(max_length=50, required=False, allow_blank=True)
    district = serializers.CharField(max_length=50, required=False, allow_blank=True)
    street_address = serializers.CharField(max_length=300, required=False, allow_blank=True)


class AddressInSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    phone = serializers.CharField(max_length=30, required=False, allow_blank=True)
    province = serializers.CharField(max_length=50, required=False, allow_blank=True)
    city = serializers.CharField(max_length=50, required=False, allow_blank=True)
    district = serializers.CharField(max_length=50, required=False, allow_blank=True)
    street_address = serializers.CharField(max_length=300, required=False, allow_blank=True)
    postcode = serializers.CharField(max_length=10, required=False, allow_blank=True)


class LineInSerializer(serializers.Serializer):
    sku = serializers.CharField(
        max_length=64, help_text="Our SKU code, or the channel's code mapped to one."
    )
    quantity = quantity_field()
    unit_price = unit_price_field()
    discount = money_field(
        required=False,
        help_text=(
            "This line's share of the order's discount (分摊), when the platform states it. "
            "Given for one line, a line without it has 0; the lines' discounts must add up "
            "to `discount_amount`. Left out: the discount is shared over the lines in "
            "proportion to their amounts, to the fen."
        ),
    )


class InvoiceInSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=InvoiceKind.choices)
    title = serializers.CharField(max_length=200, required=False, allow_blank=True)
    tax_id = serializers.CharField(max_length=30, required=False, allow_blank=True)
    address_phone = serializers.CharField(max_length=300, required=False, allow_blank=True)
    bank_account = serializers.CharField(max_length=300, required=False, allow_blank=True)
    email = serializers.CharField(max_length=254, required=False, allow_blank=True)


class OrderInSerializer(serializers.Serializer):
    external_id = serializers.CharField(max_length=64, help_text="The channel's order number.")
    placed_at = moment_field()
    paid_at = moment_field(
        required=False, allow_null=True, help_text="Null for on-account orders not yet paid."
    )
    customer = CustomerInSerializer()
    # max_length: DRF passes it to the list (3.14+); the stubs don't know it.
    lines = LineInSerializer(many=True, allow_empty=False, max_length=LIST_MAX_ITEMS)  # type: ignore[call-arg]
    shipping_address = AddressInSerializer(
        required=False, help_text="Defaults to the customer's address."
    )
    needs_invoice = serializers.BooleanField(default=False)
    invoice = InvoiceInSerializer(required=False, allow_null=True)
    buyer_note = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    buyer_account = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=100,
        help_text="The buyer's platform account (买家会员名), checked against the blacklist.",
    )
    requested_carrier = serializers.RegexField(
        REQUESTED_CARRIER_PATTERN,
        required=False,
        allow_blank=True,
        max_length=20,
        error_messages={
            "invalid": _lazy("A carrier code: at most 20 letters, digits, - and _ (e.g. SF).")
        },
        help_text=(
            "The carrier the buyer asked for (指定快递, e.g. paid extra for SF), as our carrier "
            "code: `SF`, `ZTO`, …; compared without case. The warehouse's carrier rules "
            "that name this carrier choose it for the delivery note. Empty or left out: no wish."
        ),
    )
    cash_on_delivery = serializers.BooleanField(
        required=False,
        default=False,
        help_text=(
            "货到付款: the buyer pays the courier on delivery. `paid_at` may then be null "
            "(the order is accepted when placed) and `paid_amount` defaults to 0. The "
            "carrier rules for cash on delivery choose the carrier."
        ),
    )
    shipping_fee = money_field(
        required=False,
        help_text="Postage the buyer is charged (运费). Default 0.",
    )
    discount_amount = money_field(
        required=False,
        help_text=(
            "Shop and platform discounts and coupons together; at most the goods amount "
            "(Σ quantity × unit_price). Default 0, or the sum of the lines' discounts."
        ),
    )
    total_amount = money_field(
        required=False,
        help_text=(
            "What the buyer owes, for checking: when sent it must equal goods - "
            "discount_amount + shipping_fee."
        ),
    )
    paid_amount = money_field(
        required=False,
        help_text=(
            "What the buyer actually paid: at most the total, less when the platform funds "
            "a voucher. Default: the total when `paid_at` is given, else 0."
        ),
    )


class BatchOutSerializer(serializers.Serializer):
    date = serializers.DateField()
    slot = serializers.IntegerField(help_text="12 or 15: the cut hour.")
    ship_by = serializers.DateField()


class ReasonOutSerializer(serializers.Serializer):
    code = serializers.ChoiceField(choices=ExceptionCode.choices)
    field = serializers.CharField(help_text="Field path, e.g. `lines[0].sku`.")
    message = serializers.CharField()


class AmountsOutSerializer(serializers.Serializer):
    goods_amount = serializers.DecimalField(max_digits=14, decimal_places=2)
    discount_amount = serializers.DecimalField(max_digits=14, decimal_places=2)
    shipping_fee = serializers.DecimalField(max_digits=14, decimal_places=2)
    total_amount = serializers.DecimalField(
        max_digits=14, decimal_places=2, help_text="goods - discount + shipping."
    )
    paid_amount = serializers.DecimalField(max_digits=14, decimal_places=2)


class OrderAcceptedSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()
    external_id = serializers.CharField()
    state = serializers.CharField()
    accepted_at = serializers.DateTimeField()
    batch = BatchOutSerializer()
    customer_identified = serializers.BooleanField()
    amounts = AmountsOutSerializer(help_text="The order's money as accepted, in yuan.")
    reasons = ReasonOutSerializer(
        many=True,
        help_text="Why the order is parked (state `exception`, 异常订单); empty otherwise.",
    )


ERROR = inline_serializer(
    "ApiError",
    {
        "detail": serializers.CharField(),
        "fields": serializers.DictField(child=serializers.ListField(child=serializers.CharField())),
    },
)


def flatten_errors(errors: Any, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested errors as ``{"lines[1].quantity": [...], "customer.name": [...]}``."""
    flat: dict[str, list[str]] = {}
    if isinstance(errors, dict):
        for key, value in errors.items():
            if isinstance(key, int) or str(key).isdigit():
                # DRF keys a list field's item errors by index: lines[0], like intake does.
                flat.update(flatten_errors(value, f"{prefix}[{key}]"))
                continue
            name = "" if key == "non_field_errors" else str(key)
            path = f"{prefix}.{name}" if prefix and name else (prefix or name or "detail")
            flat.update(flatten_errors(value, path))
    elif isinstance(errors, list) and any(isinstance(e, dict) for e in errors):
        # One entry per list item (``lines``); items without errors are empty dicts.
        for index, value in enumerate(errors):
            flat.update(flatten_errors(value, f"{prefix}[{index}]"))
    elif isinstance(errors, list):
        flat[prefix] = [str(e) for e in errors]
    else:
        flat[prefix] = [str(errors)]
    return flat


_REFUSED = object()


def without_refused(data: Any, detail: Any) -> Any:
    """``data`` without the values a serializer refused (``detail``: its errors), or
    ``_REFUSED`` when that would leave nothing whole to check (a refused list item or
    object, an error about the whole payload)."""
    if isinstance(detail, dict) and isinstance(data, dict):
        if "non_field_errors" in detail:
            return _REFUSED
        kept = dict(data)
        for key, sub in detail.items():
            if key not in kept:
                continue
            value = without_refused(kept[key], sub)
            if value is _REFUSED and isinstance(kept[key], list) and _is_item_errors(sub):
                return _REFUSED  # a list whose items could not be checked one by one
            if value is _REFUSED:
                del kept[key]
            else:
                kept[key] = value
        return kept
    if isinstance(detail, dict) and isinstance(data, list):
        # A list serializer's errors keyed by item index: {1: {"quantity": [...]}}.
        items = list(data)
        for key, sub in detail.items():
            index = int(key) if isinstance(key, int) or str(key).isdigit() else -1
            if not 0 <= index < len(items):
                return _REFUSED
            value = without_refused(items[index], sub)
            if value is _REFUSED:
                return _REFUSED
            items[index] = value
        return items
    if _is_items(detail) and isinstance(data, list) and len(data) == len(detail):
        items = []
        for item, sub in zip(data, detail, strict=True):
            value = without_refused(item, sub) if sub else item
            if value is _REFUSED:
                return _REFUSED
            items.append(value)
        return items
    return _REFUSED


def _is_items(detail: Any) -> bool:
    return isinstance(detail, list) and any(isinstance(d, dict) for d in detail)


def _is_item_errors(detail: Any) -> bool:
    """Errors about a list's items (by index), rather than about the list as a whole."""
    return isinstance(detail, dict) or _is_items(detail)


def _looks_like_order(data: Any) -> bool:
    return (
        isinstance(data, dict)
        and isinstance(data.get("customer", {}), dict)
        and isinstance(data.get("lines", []), list)
        and all(isinstance(line, dict) for line in data.get("lines", []))
        and isinstance(data.get("shipping_address") or {}, dict)
        and isinstance(data.get("invoice") or {}, dict)
    )


def accepted_body(order: Order, reasons: list[Any] | None = None) -> dict[str, Any]:
    """The answer for an accepted order; ``reasons``: its open exception reasons when the
    caller has them (a batch), else they are read."""
    if reasons is None:
        reasons = open_reasons_of([order.pk])[order.pk]
    return {
        "id": order.pk,
        "number": order.number,
        "external_id": order.external_id,
        "state": order.state,
        "accepted_at": order.accepted_at.isoformat(),
        "batch": {
            "date": order.batch_date.isoformat(),
            "slot": order.batch_slot,
            "ship_by": order.ship_by.isoformat(),
        },
        "customer_identified": order.customer_id is not None,
        "amounts": {
            name: str(getattr(order, name))
            for name in (
                "goods_amount",
                "discount_amount",
                "shipping_fee",
                "total_amount",
                "paid_amount",
            )
        },
        "reasons": [{"code": e.code, "field": e.field, "message": e.message} for e in reasons],
    }


class ChannelOrderIntake(SignedEndpoint):
    """Accept an order pushed by a channel, signed with the channel's secret."""

    @extend_schema(
        operation_id="channel_order_push",
        summary="Push an order",
        description=(
            "Signed with the channel's secret: `X-Ecomops-Timestamp` (unix seconds, within "
            "300 s) and `X-Ecomops-Signature` = hex HMAC-SHA256 of `timestamp + '.' + raw "
            "body`. Idempotent on (channel, external_id): the same push again answers 200 "
            "with the same order; different content for an accepted id answers 409 naming "
            "the fields that differ. 400 lists every bad field; nothing is stored. On a "
            "channel that parks orders (the marketplaces), a paid order breaking only business "
            "rules (unknown or unlisted SKU, price, address or phone, amounts, blacklist, "
            "possible duplicate) answers 201 with state `exception` and its `reasons`."
        ),
        request=OrderInSerializer,
        parameters=[
            OpenApiParameter(TIMESTAMP_HEADER, OpenApiTypes.STR, OpenApiParameter.HEADER, True),
            OpenApiParameter(SIGNATURE_HEADER, OpenApiTypes.STR, OpenApiParameter.HEADER, True),
        ],
        responses={
            201: OrderAcceptedSerializer,
            200: OrderAcceptedSerializer,
            400: ERROR,
            401: ERROR,
            404: ERROR,
            409: ERROR,
        },
        examples=[
            OpenApiExample(
                "Individual, prepaid",
                request_only=True,
                value={
                    "external_id": "TB20261123000123",
                    "placed_at": "2026-11-23T10:02:11+08:00",
                    "paid_at": "2026-11-23T10:03:40+08:00",
                    "customer": {
                        "kind": "individual",
                        "name": "张伟",
                        "phone": "13800138000",
                        "id_number": "11010519491231002X",
                        "postcode": "100000",
                        "province": "北京市",
                        "city": "北京市",
                        "district": "朝阳区",
                        "street_address": "建国路88号",
                    },
                    "lines": [{"sku": "SKU-0001", "quantity": 2, "unit_price": "99.00"}],
                    "needs_invoice": False,
                    "buyer_note": "请尽快发货",
                },
            ),
            OpenApiExample(
                "Marketplace order with postage, a coupon and a platform voucher",
                description=(
                    "Goods 2 × 99.00 + 1 × 59.00 = 257.00, shop coupon and discounts 30.00 "
                    "shared by the platform over the lines, postage 8.00: the total is "
                    "235.00; the platform funded a 10.00 voucher, so the buyer paid 225.00. "
                    "`total_amount` and the lines' `discount` are optional (left out, the "
                    "discount is shared in proportion to the lines' amounts)."
                ),
                request_only=True,
                value={
                    "external_id": "TM4015233387146028593",
                    "placed_at": "2026-11-23T10:02:11+08:00",
                    "paid_at": "2026-11-23T10:03:40+08:00",
                    "buyer_account": "tb_lina88",
                    "customer": {
                        "kind": "individual",
                        "name": "李娜",
                        "phone": "13800138000",
                        "province": "浙江省",
                        "city": "杭州市",
                        "district": "西湖区",
                        "street_address": "文三路100号",
                        "postcode": "310012",
                    },
                    "lines": [
                        {
                            "sku": "SKU-0001",
                            "quantity": 2,
                            "unit_price": "99.00",
                            "discount": "23.11",
                        },
                        {
                            "sku": "SKU-0002",
                            "quantity": 1,
                            "unit_price": "59.00",
                            "discount": "6.89",
                        },
                    ],
                    "shipping_fee": "8.00",
                    "discount_amount": "30.00",
                    "total_amount": "235.00",
                    "paid_amount": "225.00",
                    "needs_invoice": False,
                },
            ),
            OpenApiExample(
                "Cash on delivery, by SF as the buyer asked",
                description=(
                    "货到付款: not paid yet (`paid_at` null, `paid_amount` 0), accepted when "
                    "placed; the buyer asked for SF (`requested_carrier`), which the "
                    "warehouse's carrier rules use when the delivery note is issued."
                ),
                request_only=True,
                value={
                    "external_id": "JD230412345699",
                    "placed_at": "2026-11-23T10:02:11+08:00",
                    "paid_at": None,
                    "customer": {
                        "kind": "individual",
                        "name": "王芳",
                        "phone": "13900139000",
                        "province": "广东省",
                        "city": "深圳市",
                        "district": "南山区",
                        "street_address": "科技园路1号",
                    },
                    "lines": [{"sku": "SKU-0001", "quantity": 1, "unit_price": "99.00"}],
                    "requested_carrier": "SF",
                    "cash_on_delivery": True,
                },
            ),
        ],
    )
    def post(self, request: Request, code: str) -> Response:
        channel = _signed_channel(request, code)
        answer = _check_one(channel, request.data)
        if isinstance(answer, Response):
            return answer
        (outcome,) = services.orders_intake(channel=channel, payloads=[answer])
        if outcome.error is not None or outcome.order is None:
            raise outcome.error or services.IntakeError(_("The order was not accepted."))
        return Response(
            accepted_body(outcome.order, outcome.reasons if outcome.created else None),
            status=status.HTTP_201_CREATED if outcome.created else status.HTTP_200_OK,
        )


def _signed_channel(request: Request, code: str) -> Channel:
    channel = channel_for_intake(code)
    if channel is None:
        raise NotFound(_("Unknown channel %(code)s.") % {"code": code})
    verify_signature(request, channel.secret)
    return channel


_per_thread = threading.local()


def _thread_serializer() -> OrderInSerializer:
    """This thread's payload serializer: ``run_validation`` keeps nothing of the data it
    checks, so one instance serves every push of a worker thread (a tenth of a push's CPU
    went to copying its fields)."""
    serializer: OrderInSerializer | None = getattr(_per_thread, "order_in", None)
    if serializer is None:
        serializer = _per_thread.order_in = OrderInSerializer()
    return serializer


def _check_one(
    channel: Channel, data: Any, serializer: OrderInSerializer | None = None
) -> dict[str, Any] | Response:
    """The payload's validated data, or the 400 the single push answers for it.

    ``serializer``: one to reuse for every order of a page (binding a serializer's fields
    copies them: half the time of a page went there). A single push reuses its thread's."""
    serializer = serializer or _thread_serializer()
    try:
        return dict(serializer.run_validation(data))
    except serializers.ValidationError as exc:
        fields = flatten_errors(exc.detail)
        # The business rules see only what passed the bounds (ecomops.bounds): a NUL, a
        # quantity of 2³¹ or a price of NaN never reaches a lookup or a sum.
        checked = without_refused(data, exc.detail)
    if checked is not _REFUSED and _looks_like_order(checked):
        # Report the business rules too, so one answer lists everything wrong.
        try:
            services.prepare_order(channel, dict(checked))
        except ApplicationError as exc:
            for path, messages in exc.extra.get("fields", {}).items():
                if path not in fields:
                    fields[path] = messages
        except (TypeError, ValueError, AttributeError):
            pass  # values too malformed to check further: the field errors say why
    return Response(
        {"detail": _("The order was not accepted."), "fields": fields},
        status=status.HTTP_400_BAD_REQUEST,
    )


# A page of a connector's orders: what one request may carry.
MAX_BATCH = 500


class PageItemOutSerializer(serializers.Serializer):
    index = serializers.IntegerField(help_text="The order's place in the request, from 0.")
    external_id = serializers.CharField(allow_blank=True)
    status = serializers.ChoiceField(
        choices=["created", "parked", "repeated", "conflict", "refused"]
    )
    http_status = serializers.IntegerField(
        help_text="What the single push would have answered: 201, 200, 400 or 409."
    )
    body = serializers.DictField(
        help_text="The single push's body: the accepted order, or `detail` and `fields`."
    )


class PageInSerializer(serializers.Serializer):
    orders = OrderInSerializer(
        many=True, min_length=1, max_length=MAX_BATCH, help_text=f"1 to {MAX_BATCH} orders."
    )  # type: ignore[call-arg]


class PageOutSerializer(serializers.Serializer):
    results = PageItemOutSerializer(many=True)


class ChannelOrderBatchIntake(SignedEndpoint):
    """Accept a page of orders pushed by a channel's connector, signed like one push."""

    body_limit_setting = "DATA_UPLOAD_MAX_MEMORY_SIZE"

    @extend_schema(
        operation_id="channel_order_batch_push",
        summary="Push a page of orders",
        description=(
            f"Up to {MAX_BATCH} orders in `orders`, signed like a single push. Each order is "
            "answered exactly as its own push would be (`http_status` and `body`: created "
            "201, the same order again 200, conflict 409, refused 400, parked 201 with state "
            "`exception` and its `reasons`); one refused order does not stop the others. "
            "Idempotent per order on (channel, external_id): a page sent again answers 200 "
            "for each order. The request itself answers 200, or 400 when it is not a list "
            f"of 1 to {MAX_BATCH} orders, 401 for a bad signature, 409 when the channel takes "
            "no orders."
        ),
        request=PageInSerializer,
        parameters=[
            OpenApiParameter(TIMESTAMP_HEADER, OpenApiTypes.STR, OpenApiParameter.HEADER, True),
            OpenApiParameter(SIGNATURE_HEADER, OpenApiTypes.STR, OpenApiParameter.HEADER, True),
        ],
        responses={200: PageOutSerializer, 400: ERROR, 401: ERROR, 404: ERROR, 409: ERROR},
    )
    def post(self, request: Request, code: str) -> Response:
        channel = _signed_channel(request, code)
        orders = request.data.get("orders") if isinstance(request.data, dict) else None
        if not isinstance(orders, list) or not 1 <= len(orders) <= MAX_BATCH:
            return Response(
                {
                    "detail": _("The orders were not accepted."),
                    "fields": {
                        "orders": [_("Send a list of 1 to %(max)s orders.") % {"max": MAX_BATCH}]
                    },
                },
                status=status.HTTP_400_BAD_REQUEST,
            )
        results: list[dict[str, Any] | None] = [None] * len(orders)
        valid: list[tuple[int, dict[str, Any]]] = []
        serializer = OrderInSerializer()
        for index, data in enumerate(orders):
            answer = _check_one(channel, data, serializer)
            if isinstance(answer, Response):
                external_id = data.get("external_id") if isinstance(data, dict) else ""
                results[index] = _item(
                    index, str(external_id or ""), "refused", answer.status_code, answer.data
                )
            else:
                valid.append((index, answer))
        outcomes = services.orders_intake(channel=channel, payloads=[data for _i, data in valid])
        repeated = [o.order.pk for o in outcomes if o.order is not None and not o.created]
        open_reasons = open_reasons_of(repeated)
        for (index, _data), outcome in zip(valid, outcomes, strict=True):
            if outcome.error is not None:
                body = {"detail": outcome.error.message, **outcome.error.extra}
                http_status = outcome.error.status_code
            elif outcome.order is not None:
                reasons = (
                    outcome.reasons if outcome.created else open_reasons.get(outcome.order.pk, [])
                )
                body = accepted_body(outcome.order, reasons)
                http_status = status.HTTP_201_CREATED if outcome.created else status.HTTP_200_OK
            results[index] = _item(index, outcome.external_id, outcome.status, http_status, body)
        return Response({"results": results}, status=status.HTTP_200_OK)


def _item(index: int, external_id: str, state: str, http_status: int, body: Any) -> dict[str, Any]:
    return {
        "index": index,
        "external_id": external_id,
        "status": state,
        "http_status": http_status,
        "body": body,
    }
