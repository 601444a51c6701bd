"""Signed carrier events: ``POST /api/v1/carriers/<code>/events`` (logistics feedback), and
``GET /api/v1/channels/<code>/orders/<external_id>``: a channel reads an order back with its
parcels, waybills and tracking (issue 21 §1; here, as only the warehouse knows parcels).

The same signing scheme as order intake, with the carrier's secret. Idempotent on the
carrier's ``event_id``: the same event again answers 200 and changes nothing.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from ecomops.api import SIGNATURE_HEADER, TIMESTAMP_HEADER, SignedEndpoint, verify_signature
from ecomops.bounds import moment_field
from orders.models import Channel

from . import selectors, services
from .models import Carrier, CarrierEventKind, ParcelState


class CarrierEventInSerializer(serializers.Serializer):
    event_id = serializers.CharField(max_length=64, help_text="The carrier's id of this event.")
    waybill = serializers.CharField(max_length=40)
    kind = serializers.ChoiceField(choices=CarrierEventKind.choices)
    occurred_at = moment_field()
    place = serializers.CharField(max_length=200, required=False, allow_blank=True)
    description = serializers.CharField(max_length=300, required=False, allow_blank=True)


EVENT_OUT = inline_serializer(
    "CarrierEventRecorded",
    {
        "event_id": serializers.CharField(),
        "parcel": serializers.CharField(),
        "parcel_state": serializers.CharField(),
        "created": serializers.BooleanField(),
    },
)
ERROR = inline_serializer(
    "CarrierEventError",
    {
        "detail": serializers.CharField(),
        "fields": serializers.DictField(child=serializers.ListField(child=serializers.CharField())),
    },
)


class CarrierEvents(SignedEndpoint):
    """Accept a tracking event pushed by a carrier."""

    @extend_schema(
        operation_id="carrier_event_push",
        summary="Push a tracking event",
        description=(
            "Signed with the carrier's secret (`X-Ecomops-Timestamp`, `X-Ecomops-Signature` as "
            "for order intake). `delivered` moves the order to delivered once all its parcels "
            "are; `exception` alerts after-sales service. The same `event_id` again answers "
            "200 and changes nothing."
        ),
        request=CarrierEventInSerializer,
        parameters=[
            OpenApiParameter(TIMESTAMP_HEADER, OpenApiTypes.STR, OpenApiParameter.HEADER, True),
            OpenApiParameter(SIGNATURE_HEADER, OpenApiTypes.STR, OpenApiParameter.HEADER, True),
        ],
        responses={201: EVENT_OUT, 200: EVENT_OUT, 400: ERROR, 401: ERROR, 404: ERROR, 409: ERROR},
    )
    def post(self, request: Request, code: str) -> Response:
        carrier = Carrier.objects.filter(code__iexact=code, active=True).first()
        if carrier is None:
            raise NotFound(_("Unknown carrier %(code)s.") % {"code": code})
        verify_signature(request, carrier.secret)
        serializer = CarrierEventInSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        result = services.carrier_event_record(
            carrier=carrier,
            event_id=data["event_id"],
            waybill_number=data["waybill"],
            kind=data["kind"],
            occurred_at=data["occurred_at"],
            place=data.get("place", ""),
            description=data.get("description", ""),
        )
        result.event.parcel.refresh_from_db()
        return Response(
            {
                "event_id": result.event.event_id,
                "parcel": result.event.parcel.number,
                "parcel_state": result.event.parcel.state,
                "created": result.created,
            },
            status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK,
        )


# --- An order read back by its channel ---------------------------------------------------------


class TrackingEventOutSerializer(serializers.Serializer):
    event_id = serializers.CharField()
    kind = serializers.ChoiceField(choices=CarrierEventKind.choices)
    occurred_at = serializers.DateTimeField()
    place = serializers.CharField()
    description = serializers.CharField()


class ParcelOutSerializer(serializers.Serializer):
    number = serializers.CharField()
    state = serializers.ChoiceField(choices=ParcelState.choices)
    carrier = serializers.CharField(help_text="Our carrier code, e.g. `ZTO`.")
    carrier_name = serializers.CharField()
    waybill_number = serializers.CharField()
    handed_over_at = serializers.DateTimeField(
        allow_null=True, help_text="When the courier signed for it; null while packed."
    )
    delivered_at = serializers.DateTimeField(allow_null=True)
    tracking_url = serializers.CharField(allow_blank=True)
    events = TrackingEventOutSerializer(
        many=True, help_text="Tracking events received, oldest first."
    )


class OrderReadBackSerializer(serializers.Serializer):
    external_id = serializers.CharField()
    number = serializers.CharField(help_text="Our order number.")
    state = serializers.CharField(help_text="The order's state, e.g. `shipped`, `delivered`.")
    shipped_at = serializers.DateTimeField(allow_null=True)
    delivered_at = serializers.DateTimeField(allow_null=True)
    shipment_confirmed = serializers.BooleanField(
        help_text="The shipment confirmation (发货回传) reached the channel."
    )
    parcels = ParcelOutSerializer(many=True)


def _read_back_body(read: selectors.OrderReadBack) -> dict[str, Any]:
    order = read.order
    return {
        "external_id": order.external_id,
        "number": order.number,
        "state": order.state,
        "shipped_at": order.shipped_at,
        "delivered_at": order.delivered_at,
        "shipment_confirmed": read.confirmed,
        "parcels": [
            {
                "number": parcel.number,
                "state": parcel.state,
                "carrier": parcel.carrier.code,
                "carrier_name": parcel.carrier.name,
                "waybill_number": parcel.waybill_number,
                "handed_over_at": parcel.manifest.signed_at if parcel.manifest else None,
                "delivered_at": parcel.delivered_at,
                "tracking_url": parcel.tracking_url(),
                "events": [
                    {
                        "event_id": event.event_id,
                        "kind": event.kind,
                        "occurred_at": event.occurred_at,
                        "place": event.place,
                        "description": event.description,
                    }
                    for event in parcel.events.all()
                ],
            }
            for parcel in read.parcels
        ],
    }


class ChannelOrderReadBack(SignedEndpoint):
    """A channel reads one of its orders back: state, parcels, waybills, tracking."""

    @extend_schema(
        operation_id="channel_order_read",
        summary="Read an order back",
        description=(
            "Signed with the channel's secret like the intake, over the request path instead "
            "of a body: `X-Ecomops-Signature` = hex HMAC-SHA256 of `<timestamp>.<path>` where "
            "path is the path with its query string, e.g. "
            "`1700000000./api/v1/channels/tmall/orders/3021`. A wrong signature answers 401, a "
            "timestamp off by more than the allowed skew 401, an order the channel does not "
            "have 404."
        ),
        parameters=[
            OpenApiParameter(TIMESTAMP_HEADER, OpenApiTypes.STR, OpenApiParameter.HEADER, True),
            OpenApiParameter(SIGNATURE_HEADER, OpenApiTypes.STR, OpenApiParameter.HEADER, True),
        ],
        responses={200: OrderReadBackSerializer, 401: ERROR, 404: ERROR},
    )
    def get(self, request: Request, code: str, external_id: str) -> Response:
        channel = Channel.objects.filter(code=code).first()
        if channel is None:
            raise NotFound(_("Unknown channel %(code)s.") % {"code": code})
        verify_signature(request, channel.secret)
        read = selectors.channel_order_read_back(channel, external_id)
        if read is None:
            raise NotFound(
                _("The channel %(channel)s has no order %(external_id)s.")
                % {"channel": code, "external_id": external_id}
            )
        return Response(OrderReadBackSerializer(_read_back_body(read)).data)
