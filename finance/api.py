"""Signed payment notifications: ``POST /api/v1/channels/<code>/payments``.

The same signing scheme as order intake, with the channel's secret. Idempotent on the
payment reference: the same notification again answers 200 and changes nothing; the same
reference with another amount or order is refused with 409.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from ecomops.api import SIGNATURE_HEADER, TIMESTAMP_HEADER, SignedEndpoint, verify_signature
from orders.models import Channel

from . import services
from .models import Payment


class PaymentInSerializer(serializers.Serializer):
    reference = serializers.CharField(
        max_length=64, help_text="The payment provider's transaction number."
    )
    order_external_id = serializers.CharField(
        max_length=64, help_text="The channel's order number the payment is for."
    )
    amount = serializers.DecimalField(
        max_digits=14, decimal_places=2, min_value=Decimal("0.01"), help_text='CNY, e.g. "1234.56".'
    )
    paid_at = serializers.DateTimeField()
    payer_name = serializers.CharField(max_length=200, required=False, allow_blank=True)


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
    return {
        "reference": payment.reference,
        "amount": f"{payment.amount:.2f}",
        "order": allocation.order.number if allocation else None,
        "matched": allocation is not None,
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
            payload=request.data,
        )
        return Response(
            payment_body(result.payment, result.created),
            status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK,
        )
