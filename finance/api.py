"""Signed payment notifications: ``POST /api/v1/channels/<code>/payments``, and a page of
them from a connector or a settlement feed: ``POST /api/v1/channels/<code>/payments/batch``.

The same signing scheme as order intake, with the channel's secret. Idempotent on the
payment reference: the same notification again answers 200 and changes nothing; the same
reference with another amount or order is refused with 409. A page answers each payment
exactly as its own notification would be answered.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, cast

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from ecomops.api import SIGNATURE_HEADER, TIMESTAMP_HEADER, SignedEndpoint, verify_signature
from ecomops.bounds import moment_field, money_field
from orders.models import Channel

from . import services
from .models import Payment, PaymentAllocation


class PaymentInSerializer(serializers.Serializer):
    reference = serializers.CharField(
        max_length=64, help_text="The payment provider's transaction number."
    )
    order_external_id = serializers.CharField(
        max_length=64, help_text="The channel's order number the payment is for."
    )
    amount = money_field(min_value=Decimal("0.01"), help_text='CNY, e.g. "1234.56".')
    paid_at = moment_field()
    payer_name = serializers.CharField(max_length=200, required=False, allow_blank=True)


def known_fields(data: Any) -> dict[str, Any]:
    """What is kept of a notification as received: the fields we know, as sent (each one
    already within its bounds). Anything else a provider adds is not stored."""
    return {name: data[name] for name in PaymentInSerializer._declared_fields if name in data}


PAYMENT_OUT = inline_serializer(
    "PaymentRecorded",
    {
        "reference": serializers.CharField(),
        "amount": serializers.CharField(),
        "order": serializers.CharField(allow_null=True),
        "matched": serializers.BooleanField(),
        "created": serializers.BooleanField(),
    },
)
ERROR = inline_serializer(
    "PaymentError",
    {
        "detail": serializers.CharField(),
        "fields": serializers.DictField(child=serializers.ListField(child=serializers.CharField())),
    },
)


def payment_body(payment: Payment, created: bool) -> dict[str, Any]:
    allocation = payment.allocations.select_related("order").first()
    return _body(payment, created, allocation.order.number if allocation else None)


def _body(payment: Payment, created: bool, order: str | None) -> dict[str, Any]:
    """The answer for ``payment``; ``order``: the number of the order it is matched to."""
    return {
        "reference": payment.reference,
        "amount": f"{payment.amount:.2f}",
        "order": order,
        "matched": order is not None,
        "created": created,
    }


class ChannelPayments(SignedEndpoint):
    """Accept a payment notification from a channel."""

    @extend_schema(
        operation_id="channel_payment_push",
        summary="Notify a payment for an order",
        description=(
            "Signed with the channel's secret (`X-Ecomops-Timestamp`, `X-Ecomops-Signature` "
            "as for order intake). The payment is matched to the order when it is here, or "
            "kept and matched when the order arrives. The same `reference` again answers "
            "200 and changes nothing; with another amount or order it answers 409."
        ),
        request=PaymentInSerializer,
        parameters=[
            OpenApiParameter(TIMESTAMP_HEADER, OpenApiTypes.STR, OpenApiParameter.HEADER, True),
            OpenApiParameter(SIGNATURE_HEADER, OpenApiTypes.STR, OpenApiParameter.HEADER, True),
        ],
        responses={
            201: PAYMENT_OUT,
            200: PAYMENT_OUT,
            400: ERROR,
            401: ERROR,
            404: ERROR,
            409: ERROR,
        },
    )
    def post(self, request: Request, code: str) -> Response:
        channel = Channel.objects.filter(code=code).first()
        if channel is None:
            raise NotFound(_("Unknown channel %(code)s.") % {"code": code})
        verify_signature(request, channel.secret)
        serializer = PaymentInSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        result = services.payment_notify(
            channel=channel,
            reference=data["reference"],
            order_external_id=data["order_external_id"],
            amount=data["amount"],
            paid_at=data["paid_at"],
            payer_name=data.get("payer_name", ""),
            payload=known_fields(request.data),
        )
        return Response(
            payment_body(result.payment, result.created),
            status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK,
        )


# A page of a connector's payments: what one request may carry.
MAX_BATCH = 500


class PaymentPageInSerializer(serializers.Serializer):
    payments = PaymentInSerializer(
        many=True, min_length=1, max_length=MAX_BATCH, help_text=f"1 to {MAX_BATCH} payments."
    )  # type: ignore[call-arg]


class PaymentPageItemOutSerializer(serializers.Serializer):
    index = serializers.IntegerField(help_text="The payment's place in the request, from 0.")
    reference = serializers.CharField(allow_blank=True)
    status = serializers.ChoiceField(choices=["created", "repeated", "conflict", "refused"])
    http_status = serializers.IntegerField(
        help_text="What the single notification would have answered: 201, 200, 400 or 409."
    )
    body = serializers.DictField(
        help_text="The single notification's body: the payment, or `detail` and `fields`."
    )


class PaymentPageOutSerializer(serializers.Serializer):
    results = PaymentPageItemOutSerializer(many=True)


class ChannelPaymentBatch(SignedEndpoint):
    """Accept a page of payment notifications from a channel, signed like one."""

    body_limit_setting = "DATA_UPLOAD_MAX_MEMORY_SIZE"

    @extend_schema(
        operation_id="channel_payment_batch_push",
        summary="Notify a page of payments",
        description=(
            f"Up to {MAX_BATCH} payments in `payments`, signed like a single notification. "
            "Each payment is answered exactly as its own notification would be "
            "(`http_status` and `body`: recorded 201, the same reference again 200, the "
            "reference reused with another amount or order 409, refused 400); one refused "
            "payment does not stop the others. The request itself answers 200, or 400 when "
            f"it is not a list of 1 to {MAX_BATCH} payments, 401 for a bad signature."
        ),
        request=PaymentPageInSerializer,
        parameters=[
            OpenApiParameter(TIMESTAMP_HEADER, OpenApiTypes.STR, OpenApiParameter.HEADER, True),
            OpenApiParameter(SIGNATURE_HEADER, OpenApiTypes.STR, OpenApiParameter.HEADER, True),
        ],
        responses={200: PaymentPageOutSerializer, 400: ERROR, 401: ERROR, 404: ERROR},
    )
    def post(self, request: Request, code: str) -> Response:
        channel = Channel.objects.filter(code=code).first()
        if channel is None:
            raise NotFound(_("Unknown channel %(code)s.") % {"code": code})
        verify_signature(request, channel.secret)
        items = request.data.get("payments") if isinstance(request.data, dict) else None
        if not isinstance(items, list) or not 1 <= len(items) <= MAX_BATCH:
            return Response(
                {
                    "detail": _("The payments were not accepted."),
                    "fields": {
                        "payments": [
                            _("Send a list of 1 to %(max)s payments.") % {"max": MAX_BATCH}
                        ]
                    },
                },
                status=status.HTTP_400_BAD_REQUEST,
            )
        results: list[dict[str, Any] | None] = [None] * len(items)
        valid: list[tuple[int, services.PaymentNotification]] = []
        serializer = PaymentInSerializer()
        for index, item in enumerate(items):
            try:
                data = serializer.run_validation(item)
            except serializers.ValidationError as exc:
                reference = item.get("reference") if isinstance(item, dict) else ""
                body = {"detail": _("Some fields are not valid."), "fields": _messages(exc.detail)}
                results[index] = _item(
                    index, str(reference or ""), "refused", status.HTTP_400_BAD_REQUEST, body
                )
                continue
            valid.append(
                (
                    index,
                    services.PaymentNotification(
                        reference=data["reference"],
                        order_external_id=data["order_external_id"],
                        amount=data["amount"],
                        paid_at=data["paid_at"],
                        payer_name=data.get("payer_name", ""),
                        payload=known_fields(item),
                    ),
                )
            )
        outcomes = services.payments_notify_many(
            channel=channel, notifications=[n for _i, n in valid]
        )
        matched = dict(
            PaymentAllocation.objects.filter(
                payment_id__in={o.payment.pk for o in outcomes if o.payment is not None}
            )
            .order_by("-payment_id", "-pk")  # the first match of each payment wins below
            .values_list("payment_id", "order__number")
        )
        for (index, _notification), outcome in zip(valid, outcomes, strict=True):
            if outcome.error is not None:
                body = {"detail": outcome.error.message, **outcome.error.extra}
                http_status = outcome.error.status_code
            else:
                payment = cast(Payment, outcome.payment)
                body = _body(payment, outcome.created, matched.get(payment.pk))
                http_status = status.HTTP_201_CREATED if outcome.created else status.HTTP_200_OK
            results[index] = _item(index, outcome.reference, outcome.status, http_status, body)
        return Response({"results": results}, status=status.HTTP_200_OK)


def _messages(detail: Any) -> dict[str, list[str]]:
    """A serializer's errors as ``{"field": ["reason", ...]}``, as the single push answers."""
    if not isinstance(detail, dict):
        return {"non_field_errors": [str(m) for m in detail]}
    return {
        str(key): [str(m) for m in value] if isinstance(value, list) else [str(value)]
        for key, value in detail.items()
    }


def _item(index: int, reference: str, state: str, http_status: int, body: Any) -> dict[str, Any]:
    return {
        "index": index,
        "reference": reference,
        "status": state,
        "http_status": http_status,
        "body": body,
    }
