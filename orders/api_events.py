"""Signed platform changes: ``POST /api/v1/channels/<code>/orders/<external_id>/events``.

Signed like the intake (``ecomops.api.verify_signature`` with the channel's secret). The
serializers check the shape of each change strictly (400 naming the field, e.g.
``data.address.phone``); what the change does is ``orders.services.order_platform_event``'s
(docs/orders.md "Changes from the platform").
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from ecomops.api import SIGNATURE_HEADER, TIMESTAMP_HEADER, SignedEndpoint, verify_signature
from ecomops.bounds import LIST_MAX_ITEMS, check_path_text, moment_field, money_field

from . import services
from .api import ERROR, flatten_errors
from .models import Channel, Order, PlatformEvent, PlatformEventKind, PlatformEventOutcome


class _Strict(serializers.Serializer):
    """Refuses keys it does not know, so a misspelt field is not silently dropped."""

    def to_internal_value(self, data: Any) -> Any:
        unknown = sorted(set(data) - set(self.fields)) if isinstance(data, dict) else []
        errors: dict[str, Any] = {key: [_("Unknown field.")] for key in unknown}
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as exc:
            if not isinstance(exc.detail, dict):
                raise
            errors = {**exc.detail, **errors}
        if errors:
            raise serializers.ValidationError(errors)
        return value


class NewAddressSerializer(_Strict):
    name = serializers.CharField(max_length=100, help_text="The receiver.")
    phone = serializers.CharField(max_length=30)
    province = serializers.CharField(max_length=50)
    city = serializers.CharField(max_length=50)
    district = serializers.CharField(max_length=50, required=False, allow_blank=True)
    street_address = serializers.CharField(max_length=300)
    postcode = serializers.CharField(max_length=10, required=False, allow_blank=True)


class AddressChangedSerializer(_Strict):
    address = NewAddressSerializer(help_text="The whole new shipping address.")


class BuyerNoteChangedSerializer(_Strict):
    buyer_note = serializers.CharField(max_length=2000, allow_blank=True)


class RefundRequestedSerializer(_Strict):
    line = serializers.IntegerField(
        min_value=1,
        max_value=LIST_MAX_ITEMS,
        required=False,
        help_text="The line's position (1 = first line as pushed). Leave out with `sku` "
        "for a refund of the whole order.",
    )
    sku = serializers.CharField(
        max_length=64,
        required=False,
        help_text="The line by its SKU code (ours or the channel's), instead of `line`.",
    )
    amount = money_field(min_value=Decimal("0.01"), help_text="Yuan.")
    reason = serializers.CharField(max_length=300)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if "line" in attrs and "sku" in attrs:
            raise serializers.ValidationError({"sku": [_("Give the line or the SKU, not both.")]})
        return attrs


class ReasonOnlySerializer(_Strict):
    reason = serializers.CharField(max_length=300, required=False, allow_blank=True)


DATA_SERIALIZERS: dict[str, type[serializers.Serializer]] = {
    PlatformEventKind.ADDRESS_CHANGED: AddressChangedSerializer,
    PlatformEventKind.BUYER_NOTE_CHANGED: BuyerNoteChangedSerializer,
    PlatformEventKind.REFUND_REQUESTED: RefundRequestedSerializer,
    PlatformEventKind.REFUND_WITHDRAWN: ReasonOnlySerializer,
    PlatformEventKind.ORDER_CLOSED: ReasonOnlySerializer,
}


class PlatformEventInSerializer(_Strict):
    event_id = serializers.CharField(
        max_length=128,
        help_text="The platform's id of this change; the same id again changes nothing.",
    )
    occurred_at = moment_field(help_text="When it happened on the platform.")
    type = serializers.ChoiceField(choices=PlatformEventKind.choices)
    # The wire name is ``data``; DRF's metaclass takes declared fields off the class, so
    # ``Serializer.data`` is untouched (mypy only sees the attribute).
    data = serializers.DictField(  # type: ignore[assignment]
        help_text=(
            "By `type`: `address_changed` {address: {name, phone, province, city, district?, "
            "street_address, postcode?}}; `buyer_note_changed` {buyer_note}; "
            "`refund_requested` {line? | sku?, amount, reason} (neither line nor sku: the "
            "whole order); `refund_withdrawn` {reason?}; `order_closed` {reason?}."
        )
    )


class PlatformEventOutSerializer(serializers.Serializer):
    event_id = serializers.CharField()
    type = serializers.ChoiceField(choices=PlatformEventKind.choices)
    outcome = serializers.ChoiceField(
        choices=PlatformEventOutcome.choices,
        help_text="applied, held (the order is on hold for a person), intercept_requested "
        "(the warehouse was asked to stop the parcel), parked (exception queue, reason "
        "`platform_change`), ignored (not applied; the message says why).",
    )
    message = serializers.CharField()
    received_at = serializers.DateTimeField()
    order = serializers.DictField(
        help_text="`id`, `number`, `external_id` and the order's `state` now."
    )


def event_body(event: PlatformEvent, order: Order) -> dict[str, Any]:
    return {
        "event_id": event.event_id,
        "type": event.kind,
        "outcome": event.outcome,
        "message": event.message,
        "received_at": event.received_at.isoformat(),
        "order": {
            "id": order.pk,
            "number": order.number,
            "external_id": order.external_id,
            "state": order.state,
        },
    }


def _invalid(fields: dict[str, list[str]]) -> Response:
    return Response(
        {"detail": _("The change was not accepted."), "fields": fields},
        status=status.HTTP_400_BAD_REQUEST,
    )


class ChannelOrderEvents(SignedEndpoint):
    """Take a change the platform made to an order after it came in."""

    @extend_schema(
        operation_id="channel_order_event",
        summary="Send a change to an order (platform event)",
        description=(
            "Signed like the order push: `X-Ecomops-Timestamp` and `X-Ecomops-Signature` = "
            "hex HMAC-SHA256 of `timestamp + '.' + raw body` with the channel's secret (401 "
            "when missing or wrong). Idempotent on (channel, event_id): the same event again "
            "answers 200 with the same outcome and changes nothing; the id again with other "
            "content answers 409. Before the order is released to the warehouse an address "
            "or note change is applied, a refund request or a closure holds the order and a "
            "withdrawn refund releases that hold; once released, the warehouse is asked to "
            "stop the parcel; a change that cannot be applied (undeliverable address, a line "
            "the order does not have, more than was paid) parks the order with the reason "
            "`platform_change`. 404 for an unknown channel or order; 400 names every bad "
            "field."
        ),
        request=PlatformEventInSerializer,
        parameters=[
            OpenApiParameter(TIMESTAMP_HEADER, OpenApiTypes.STR, OpenApiParameter.HEADER, True),
            OpenApiParameter(SIGNATURE_HEADER, OpenApiTypes.STR, OpenApiParameter.HEADER, True),
        ],
        responses={
            201: PlatformEventOutSerializer,
            200: PlatformEventOutSerializer,
            400: ERROR,
            401: ERROR,
            404: ERROR,
            409: ERROR,
        },
        examples=[
            OpenApiExample(
                "Address changed",
                request_only=True,
                value={
                    "event_id": "TMC-20261123-000981",
                    "occurred_at": "2026-11-23T11:20:00+08:00",
                    "type": "address_changed",
                    "data": {
                        "address": {
                            "name": "李娜",
                            "phone": "13800138000",
                            "province": "浙江省",
                            "city": "杭州市",
                            "district": "滨江区",
                            "street_address": "江南大道588号",
                            "postcode": "310051",
                        }
                    },
                },
            ),
            OpenApiExample(
                "Buyer note changed",
                request_only=True,
                value={
                    "event_id": "TMC-20261123-000982",
                    "occurred_at": "2026-11-23T11:25:00+08:00",
                    "type": "buyer_note_changed",
                    "data": {"buyer_note": "周末不在家，请工作日送达"},
                },
            ),
            OpenApiExample(
                "Refund requested for a line",
                request_only=True,
                value={
                    "event_id": "RF-7781203",
                    "occurred_at": "2026-11-23T12:01:00+08:00",
                    "type": "refund_requested",
                    "data": {"line": 2, "amount": "52.11", "reason": "不想要了"},
                },
            ),
            OpenApiExample(
                "Refund requested for the whole order",
                request_only=True,
                value={
                    "event_id": "RF-7781204",
                    "occurred_at": "2026-11-23T12:03:00+08:00",
                    "type": "refund_requested",
                    "data": {"amount": "225.00", "reason": "拍错了"},
                },
            ),
            OpenApiExample(
                "Refund withdrawn",
                request_only=True,
                value={
                    "event_id": "RF-7781203-W",
                    "occurred_at": "2026-11-23T12:30:00+08:00",
                    "type": "refund_withdrawn",
                    "data": {"reason": "买家撤销退款申请"},
                },
            ),
            OpenApiExample(
                "Order closed",
                request_only=True,
                value={
                    "event_id": "TMC-20261123-001200",
                    "occurred_at": "2026-11-23T13:00:00+08:00",
                    "type": "order_closed",
                    "data": {"reason": "交易关闭"},
                },
            ),
            OpenApiExample(
                "Held",
                response_only=True,
                status_codes=["201"],
                value={
                    "event_id": "RF-7781204",
                    "type": "refund_requested",
                    "outcome": "held",
                    "message": "Refund of ¥225.00 requested for the whole order: 拍错了",
                    "received_at": "2026-11-23T12:03:02+08:00",
                    "order": {
                        "id": 812,
                        "number": "SO000812",
                        "external_id": "TM4015233387146028593",
                        "state": "on_hold",
                    },
                },
            ),
        ],
    )
    def post(self, request: Request, code: str, external_id: str) -> Response:
        channel = Channel.objects.filter(code=code).first()
        if channel is None:
            raise NotFound(_("Unknown channel %(code)s.") % {"code": code})
        verify_signature(request, channel.secret)
        refused = check_path_text("external_id", external_id, max_length=64)
        if refused:
            return _invalid(refused)
        envelope = PlatformEventInSerializer(data=request.data)
        if not envelope.is_valid():
            return _invalid(flatten_errors(envelope.errors))
        kind = envelope.validated_data["type"]
        data = DATA_SERIALIZERS[kind](data=envelope.validated_data["data"])
        if not data.is_valid():
            return _invalid(flatten_errors(data.errors, "data"))
        result = services.order_platform_event(
            channel=channel,
            external_id=external_id,
            event_id=envelope.validated_data["event_id"],
            kind=kind,
            occurred_at=envelope.validated_data["occurred_at"],
            data=dict(data.validated_data),
        )
        order = Order.objects.get(pk=result.event.order_id)
        return Response(
            event_body(result.event, order),
            status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK,
        )
