"""Signed carrier events: ``POST /api/v1/carriers/<code>/events`` (logistics feedback).

The same signing scheme as order intake, with the carrier's secret. Idempotent on the
carrier's ``event_id``: the same event again answers 200 and changes nothing.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from ecomops.api import SIGNATURE_HEADER, TIMESTAMP_HEADER, SignedEndpoint, verify_signature
from ecomops.bounds import moment_field

from . import services
from .models import Carrier, CarrierEventKind


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
