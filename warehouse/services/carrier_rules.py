"""Which carrier ships an order: rules kept as data (``CarrierRule``), and changing the
carrier of a delivery note by hand before packing.

Rules are tried by priority, lowest first; a rule applies when every condition it sets
holds (provinces shipped to, weight range, channel, the carrier the buyer asked for, cash
on delivery) and the address is not in one of its excluded regions. No rule applying: the
warehouse's default carrier. ``CarrierChooser`` reads the rules once and chooses in memory,
so issuing a thousand notes reads the rules once, not once per order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from ecomops.accounts.selectors import acting_user
from ecomops.errors import ApplicationError, ConflictError, require_permission

from ..models import (
    Carrier,
    CarrierRule,
    DeliveryNote,
    NoteCarrierChange,
    NoteState,
    Warehouse,
)

CHANGE_CARRIER = "warehouse.change_note_carrier"
# a note's carrier may change until it is packed; then its parcel has the carrier's number
CHANGEABLE_STATES = (NoteState.WAITING, NoteState.ALLOCATED, NoteState.RELEASED, NoteState.PICKED)


@dataclass(frozen=True)
class Shipment:
    """What the rules look at of an order."""

    province: str
    city: str
    district: str
    weight_grams: int
    channel_id: int | None
    requested_carrier: str = ""
    cash_on_delivery: bool = False


def region_matches(entry: str, shipment: Shipment) -> bool:
    """``entry`` is "省", "省/市" or "省/市/区", each part the start of the name ("浙江"
    matches 浙江省, "四川/甘孜" matches 四川省 甘孜藏族自治州)."""
    parts = [part.strip() for part in str(entry).split("/")]
    names = (shipment.province, shipment.city, shipment.district)
    return bool(parts[0]) and all(
        name.startswith(part) for part, name in zip(parts, names, strict=False) if part
    )


def rule_applies(rule: CarrierRule, shipment: Shipment) -> bool:
    if rule.provinces and not any(region_matches(p, shipment) for p in rule.provinces):
        return False
    if rule.weight_min_grams is not None and shipment.weight_grams < rule.weight_min_grams:
        return False
    if rule.weight_max_grams is not None and shipment.weight_grams > rule.weight_max_grams:
        return False
    if rule.channel_id is not None and rule.channel_id != shipment.channel_id:
        return False
    if rule.requested_carrier and (
        rule.requested_carrier.strip().upper() != shipment.requested_carrier.strip().upper()
    ):
        return False
    if rule.cash_on_delivery is not None and rule.cash_on_delivery != shipment.cash_on_delivery:
        return False
    return not any(region_matches(r, shipment) for r in rule.excluded_regions or [])


class CarrierChooser:
    """The carrier rules of one warehouse, read once, and its default carrier."""

    def __init__(self, warehouse: Warehouse, default: Carrier) -> None:
        self.default = default
        self.rules: Sequence[CarrierRule] = list(
            CarrierRule.objects.filter(active=True, carrier__active=True)
            .filter(Q(warehouse__isnull=True) | Q(warehouse=warehouse))
            .select_related("carrier")
            .order_by("priority", "pk")
        )

    def choose(self, shipment: Shipment) -> Carrier:
        for rule in self.rules:
            if rule_applies(rule, shipment):
                return rule.carrier
        return self.default


def note_change_carrier(*, note_id: int, carrier_id: int, reason: str, by: Any) -> DeliveryNote:
    """The parts or warehouse admin sends a note with another carrier, before packing.

    The notes packed with it in one merged parcel change with it (one parcel, one carrier).
    Each change is logged (``NoteCarrierChange``: who, when, from, to, why). Refused once
    the note is packed: its parcel already carries the first carrier's waybill number.
    """
    require_permission(by, CHANGE_CARRIER)
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError(
            _("Say why the carrier changes."),
            {"fields": {"reason": [_("This field is required.")]}},
        )
    with transaction.atomic():
        note = DeliveryNote.objects.select_for_update().select_related("carrier").get(pk=note_id)
        carrier = Carrier.objects.filter(pk=carrier_id, active=True).first()
        if carrier is None:
            raise ApplicationError(
                _("Choose an active carrier."),
                {"fields": {"carrier": [_("Not an active carrier.")]}},
            )
        if note.state not in CHANGEABLE_STATES:
            raise ConflictError(
                _(
                    "Delivery note %(number)s is %(state)s: its carrier can only change "
                    "before packing."
                )
                % {"number": note.number, "state": note.get_state_display()}
            )
        if note.carrier_id == carrier.pk:
            return note
        group = [note]
        if note.merged and note.merge_key and note.wave_id is not None:
            group += list(
                DeliveryNote.objects.select_for_update()
                .filter(
                    wave_id=note.wave_id,
                    merge_key=note.merge_key,
                    state__in=CHANGEABLE_STATES,
                )
                .exclude(pk=note.pk)
                .order_by("pk")
            )
        actor = acting_user(by)
        NoteCarrierChange.objects.bulk_create(
            [
                NoteCarrierChange(
                    note=member,
                    from_carrier_id=member.carrier_id,
                    to_carrier=carrier,
                    reason=reason[:300],
                    changed_by=actor,
                )
                for member in group
            ]
        )
        DeliveryNote.objects.filter(pk__in=[member.pk for member in group]).update(carrier=carrier)
        note.carrier = carrier
    return note
