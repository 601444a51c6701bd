"""Shipment confirmation (发货回传): telling each order's channel that it shipped.

The hand-over writes one outbox row per order and signed manifest in its own transaction
(``confirmations_write``, one INSERT … SELECT whatever the parcel count), so a hand-over
rolled back confirms nothing and a committed one is never forgotten. Then:

- a channel with a callback URL gets a POST signed like the intake (``ecomops.api.sign``
  with the channel's secret). Celery sends it after the commit, and the minute sweep sends
  whatever is due (a lost message or a worker restart loses nothing). Each row is claimed
  with ``select_for_update(skip_locked=True)``: two workers never post the same row at the
  same time, and a confirmed row is never posted again. A refusal is retried with
  exponential backoff (``retry_delay``); after the last attempt the row is *not confirmed*
  and the warehouse admin is told once, to retry or mark it done by hand with a reason;
- a channel without one confirms by its platform's bulk-shipping file (批量发货), which the
  warehouse downloads from the portal: the download confirms the rows it holds, once.

The order's shipment-confirmation clock (the channel's deadline after payment) stops when
its first confirmation reaches the channel.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import requests
from django.conf import settings
from django.db import transaction
from django.db.models import Case, DateTimeField, IntegerField, Q, Value, When
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from ecomops.accounts.roles import RoleCode
from ecomops.accounts.selectors import acting_user
from ecomops.api import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign
from ecomops.bulk import insert_select
from ecomops.errors import ApplicationError, ConflictError, require_permission
from ecomops.jobs import enqueue
from ecomops.notifications.services import notify_role
from ecomops.numbering.services import next_number
from ecomops.sla.services import sla_clocks_stop_many
from orders.models import Channel, ChannelKind, Order
from orders.selectors import SHIPMENT_CONFIRMATION_CLOCK

from ..bulk_shipping import TEMPLATES, BulkShippingRow, bulk_shipping_file
from ..models import (
    ConfirmationAttempt,
    ConfirmationExport,
    ConfirmationMethod,
    ConfirmationPlatform,
    ConfirmationStatus,
    DeliveryNote,
    Manifest,
    Parcel,
    PlatformCarrierName,
    ShipmentConfirmation,
)

log = logging.getLogger(__name__)

DELIVER_TASK = "warehouse.tasks.deliver_shipment_confirmations"

# Channel kind -> whose bulk-shipping file it takes (Tmall shops use Taobao's seller centre).
PLATFORM_OF_KIND = {
    ChannelKind.TMALL: ConfirmationPlatform.TAOBAO,
    ChannelKind.TAOBAO: ConfirmationPlatform.TAOBAO,
    ChannelKind.JD: ConfirmationPlatform.JD,
    ChannelKind.PINDUODUO: ConfirmationPlatform.PINDUODUO,
    ChannelKind.DOUYIN: ConfirmationPlatform.DOUYIN,
}


class ConfirmationError(ApplicationError):
    """A shipment confirmation that cannot be retried, marked or downloaded as asked."""


# --- Writing the outbox with the hand-over ---------------------------------------------------


def confirming_channels() -> Q:
    """Channels that want to hear of a shipment: a callback URL, or a marketplace whose
    seller centre takes a bulk-shipping file. (Keyed-in and own-shop orders without a
    callback have nobody to tell.)"""
    return ~Q(callback_url="") | Q(kind__in=list(PLATFORM_OF_KIND))


def confirmations_write(*, manifest: Manifest, at: datetime) -> int:
    """Write the confirmations of a manifest being signed: one per order with notes on its
    parcels, in the caller's transaction, by one INSERT … SELECT. Callback rows are due at
    once; the deliveries are enqueued for after the commit. Returns the rows written."""
    callback = ~Q(channel__callback_url="")
    rows = (
        Order.objects.filter(
            pk__in=DeliveryNote.objects.filter(parcel__manifest=manifest).values("order_id")
        )
        .filter(channel__in=Channel.objects.filter(confirming_channels()))
        .annotate(
            c_manifest=Value(manifest.pk, output_field=IntegerField()),
            c_carrier=Value(manifest.carrier_id, output_field=IntegerField()),
            c_method=Case(
                When(callback, then=Value(ConfirmationMethod.CALLBACK.value)),
                default=Value(ConfirmationMethod.FILE.value),
            ),
            c_status=Value(ConfirmationStatus.PENDING.value),
            c_attempts=Value(0, output_field=IntegerField()),
            c_next=Case(
                When(callback, then=Value(at, output_field=DateTimeField())),
                default=Value(None, output_field=DateTimeField()),
            ),
            c_created=Value(at, output_field=DateTimeField()),
            c_error=Value(""),
            c_reason=Value(""),
        )
        .order_by("pk")
        .values_list(
            "pk",
            "channel_id",
            "c_manifest",
            "c_carrier",
            "c_method",
            "c_status",
            "c_attempts",
            "c_next",
            "c_created",
            "c_error",
            "c_reason",
        )
    )
    written = insert_select(
        ShipmentConfirmation,
        [
            "order",
            "channel",
            "manifest",
            "carrier",
            "method",
            "status",
            "attempts",
            "next_attempt_at",
            "created_at",
            "last_error",
            "by_hand_reason",
        ],
        rows,
    )
    if written:
        enqueue(DELIVER_TASK, manifest_id=manifest.pk)
    return written


# --- Delivering callbacks --------------------------------------------------------------------


def max_attempts() -> int:
    return int(getattr(settings, "SHIPMENT_CONFIRMATION_MAX_ATTEMPTS", 7))


def retry_delay(attempts: int) -> timedelta:
    """The wait after the ``attempts``-th failed attempt: the base (a minute) doubled each
    time, 1, 2, 4, 8, 16, 32 minutes; beat's minute sweep sends what is due."""
    base = getattr(settings, "SHIPMENT_CONFIRMATION_RETRY_BASE", timedelta(minutes=1))
    return base * (2 ** (attempts - 1))


@dataclass(frozen=True)
class Waybill:
    carrier_code: str
    carrier_name: str
    waybill_number: str
    parcel_number: str


def confirmation_waybills(confirmation: ShipmentConfirmation) -> list[Waybill]:
    """The parcels of the order on the confirmation's manifest: one waybill each."""
    parcels = (
        Parcel.objects.filter(
            manifest_id=confirmation.manifest_id, notes__order_id=confirmation.order_id
        )
        .select_related("carrier")
        .distinct()
        .order_by("pk")
    )
    return [Waybill(p.carrier.code, p.carrier.name, p.waybill_number, p.number) for p in parcels]


def confirmation_payload(confirmation: ShipmentConfirmation) -> dict[str, Any]:
    """What the channel's callback receives (documented in docs/warehouse.md)."""
    order = confirmation.order
    return {
        "confirmation_id": confirmation.pk,
        "external_id": order.external_id,
        "order_number": order.number,
        "shipped_at": timezone.localtime(confirmation.created_at).isoformat(),
        "waybills": [
            {
                "carrier": waybill.carrier_code,
                "carrier_name": waybill.carrier_name,
                "waybill_number": waybill.waybill_number,
            }
            for waybill in confirmation_waybills(confirmation)
        ],
    }


@dataclass
class PostOutcome:
    ok: bool
    status_code: int | None = None
    error: str = ""


def _post(confirmation: ShipmentConfirmation) -> PostOutcome:
    channel = confirmation.channel
    body = json.dumps(confirmation_payload(confirmation), ensure_ascii=False).encode()
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        SIGNATURE_HEADER: sign(channel.secret, timestamp, body),
        TIMESTAMP_HEADER: timestamp,
        # the same key on every attempt: a channel that got a post it could not answer
        # recognises the repeat
        "Idempotency-Key": f"ecomops-shipment-{confirmation.pk}",
    }
    timeout = getattr(settings, "SHIPMENT_CONFIRMATION_TIMEOUT", 10)
    try:
        response = requests.post(channel.callback_url, data=body, headers=headers, timeout=timeout)
    except requests.RequestException as exc:
        return PostOutcome(False, None, f"{type(exc).__name__}: {exc}"[:500])
    if 200 <= response.status_code < 300:
        return PostOutcome(True, response.status_code)
    return PostOutcome(
        False, response.status_code, f"HTTP {response.status_code}: {response.text[:400]}"
    )


def confirmation_deliver(*, confirmation_id: int) -> ShipmentConfirmation | None:
    """Post one due confirmation to its channel, once: claimed under
    ``select_for_update(skip_locked=True)`` while the post is made, so another worker
    passes over it; a row already confirmed, failed, or not yet due is left alone (None).
    Each attempt is logged; a refusal waits ``retry_delay``, the last one leaves the row
    not confirmed and tells the warehouse admin."""
    with transaction.atomic():
        now = timezone.now()
        confirmation = (
            ShipmentConfirmation.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("order", "channel")
            .filter(
                pk=confirmation_id,
                status=ConfirmationStatus.PENDING,
                method=ConfirmationMethod.CALLBACK,
                next_attempt_at__lte=now,
            )
            .first()
        )
        if confirmation is None:
            return None
        outcome = _post(confirmation)
        now = timezone.now()
        ConfirmationAttempt.objects.create(
            confirmation=confirmation,
            attempted_at=now,
            status_code=outcome.status_code,
            ok=outcome.ok,
            error=outcome.error,
        )
        confirmation.attempts += 1
        if outcome.ok:
            confirmation.status = ConfirmationStatus.CONFIRMED
            confirmation.confirmed_at = now
            confirmation.next_attempt_at = None
            confirmation.last_error = ""
            _stop_clocks([confirmation.order_id], now)
        elif confirmation.attempts >= max_attempts():
            confirmation.status = ConfirmationStatus.FAILED
            confirmation.next_attempt_at = None
            confirmation.last_error = outcome.error
            _tell_not_confirmed(confirmation)
        else:
            confirmation.next_attempt_at = now + retry_delay(confirmation.attempts)
            confirmation.last_error = outcome.error
        confirmation.save(
            update_fields=[
                "status",
                "attempts",
                "next_attempt_at",
                "last_error",
                "confirmed_at",
            ]
        )
    return confirmation


@dataclass
class DeliveryReport:
    confirmed: list[int] = field(default_factory=list)
    retrying: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)


def confirmations_deliver_due(
    *, manifest_id: int | None = None, batch_size: int = 100
) -> DeliveryReport:
    """Post every callback confirmation due now (of one manifest, or all: the minute
    sweep), a row per transaction; run twice or by two workers at once, each row is posted
    once per attempt."""
    report = DeliveryReport()
    seen: set[int] = set()
    while True:
        due = ShipmentConfirmation.objects.filter(
            status=ConfirmationStatus.PENDING,
            method=ConfirmationMethod.CALLBACK,
            next_attempt_at__lte=timezone.now(),
        ).exclude(pk__in=seen)
        if manifest_id is not None:
            due = due.filter(manifest_id=manifest_id)
        ids = list(due.order_by("next_attempt_at", "pk").values_list("pk", flat=True)[:batch_size])
        if not ids:
            return report
        for pk in ids:
            seen.add(pk)
            try:
                done = confirmation_deliver(confirmation_id=pk)
            except Exception:
                # one channel's broken row must not stop the others; the sweep comes back
                log.exception("shipment confirmation %s could not be delivered", pk)
                continue
            if done is None:
                continue
            if done.status == ConfirmationStatus.CONFIRMED:
                report.confirmed.append(pk)
            elif done.status == ConfirmationStatus.FAILED:
                report.failed.append(pk)
            else:
                report.retrying.append(pk)


def _tell_not_confirmed(confirmation: ShipmentConfirmation) -> None:
    notify_role(
        role=RoleCode.WAREHOUSE_ADMIN,
        title=_("Shipment not confirmed to %(channel)s: order %(order)s")
        % {"channel": confirmation.channel.name, "order": confirmation.order.external_id},
        body=_("%(attempts)d attempts failed; the last error: %(error)s")
        % {"attempts": confirmation.attempts, "error": confirmation.last_error},
        url=reverse("warehouse:confirmation_queue"),
        level="danger",
        # once per failed round: a retry that fails again is told again
        key=f"confirmation-failed-{confirmation.pk}-{confirmation.attempt_log.count()}",
    )


def _stop_clocks(order_ids: list[int], at: datetime) -> None:
    sla_clocks_stop_many(
        code=SHIPMENT_CONFIRMATION_CLOCK, model=Order, object_ids=order_ids, stopped_at=at
    )


# --- A person's hand on a confirmation ---------------------------------------------------------


def confirmation_retry(*, confirmation_id: int, by: Any) -> ShipmentConfirmation:
    """Send a not-confirmed callback again (the channel fixed its endpoint): a fresh round
    of attempts, the first at once. Already confirmed: nothing to do."""
    require_permission(
        by, "warehouse.confirm_shipment", _("Only the warehouse admin retries confirmations.")
    )
    with transaction.atomic():
        confirmation = ShipmentConfirmation.objects.select_for_update().get(pk=confirmation_id)
        if confirmation.status == ConfirmationStatus.CONFIRMED:
            return confirmation
        if confirmation.method != ConfirmationMethod.CALLBACK:
            raise ConflictError(
                _("This confirmation goes by the bulk-shipping file: download the file.")
            )
        confirmation.status = ConfirmationStatus.PENDING
        confirmation.attempts = 0
        confirmation.next_attempt_at = timezone.now()
        confirmation.save(update_fields=["status", "attempts", "next_attempt_at"])
        enqueue(DELIVER_TASK, confirmation_ids=[confirmation.pk])
    return confirmation


def confirmation_mark_done(*, confirmation_id: int, reason: str, by: Any) -> ShipmentConfirmation:
    """The shipment was confirmed outside ecomops (typed into the seller centre): the row
    is confirmed by hand, with who and why; nothing is sent any more."""
    require_permission(
        by, "warehouse.confirm_shipment", _("Only the warehouse admin marks confirmations done.")
    )
    reason = (reason or "").strip()
    if not reason:
        raise ConfirmationError(
            _("Say how the shipment was confirmed to the channel."),
            {"fields": {"reason": [_("This field is required.")]}},
        )
    with transaction.atomic():
        confirmation = ShipmentConfirmation.objects.select_for_update().get(pk=confirmation_id)
        if confirmation.status == ConfirmationStatus.CONFIRMED:
            return confirmation
        now = timezone.now()
        confirmation.status = ConfirmationStatus.CONFIRMED
        confirmation.confirmed_at = now
        confirmation.confirmed_by = acting_user(by)
        confirmation.by_hand_reason = reason[:300]
        confirmation.next_attempt_at = None
        confirmation.save(
            update_fields=[
                "status",
                "confirmed_at",
                "confirmed_by",
                "by_hand_reason",
                "next_attempt_at",
            ]
        )
        _stop_clocks([confirmation.order_id], now)
    return confirmation


# --- Bulk-shipping files -------------------------------------------------------------------------


def channel_platform(channel: Channel) -> str | None:
    return PLATFORM_OF_KIND.get(ChannelKind(channel.kind)) if channel.kind else None


def confirmations_export(*, channel_id: int, by: Any) -> ConfirmationExport:
    """Download = confirm: every file confirmation of the channel not yet confirmed goes
    into one bulk-shipping file in its platform's template, and is confirmed by it (who,
    when, which file). A second download finds nothing new and says so; a past file is
    downloaded again from its ``ConfirmationExport``."""
    require_permission(
        by, "warehouse.confirm_shipment", _("Only the warehouse admin downloads these files.")
    )
    with transaction.atomic():
        channel = Channel.objects.select_for_update().get(pk=channel_id)
        platform = channel_platform(channel)
        if platform is None:
            raise ConfirmationError(
                _("%(channel)s has no platform bulk-shipping file.") % {"channel": channel.name}
            )
        if platform not in TEMPLATES:
            raise ConfirmationError(
                _(
                    "The bulk-shipping template of %(platform)s is not known yet: give the "
                    "channel a callback URL, or confirm in the seller centre and mark the "
                    "shipments done by hand."
                )
                % {"platform": ConfirmationPlatform(platform).label}
            )
        confirmations = list(
            ShipmentConfirmation.objects.select_for_update()
            .filter(
                channel=channel,
                method=ConfirmationMethod.FILE,
                status=ConfirmationStatus.PENDING,
            )
            .select_related("order", "carrier")
            .order_by("pk")
        )
        if not confirmations:
            raise ConfirmationError(
                _("Everything shipped for %(channel)s is confirmed already.")
                % {"channel": channel.name}
            )
        names = dict(
            PlatformCarrierName.objects.filter(platform=platform).values_list(
                "carrier_code", "name"
            )
        )
        missing = sorted({c.carrier.code for c in confirmations} - set(names))
        if missing:
            raise ConfirmationError(
                _(
                    "The platform's name of carrier %(carriers)s is not set: add it under "
                    "platform carrier names in the admin."
                )
                % {"carriers": ", ".join(missing)}
            )
        waybills = _waybills_of(confirmations)
        rows = [
            BulkShippingRow(
                external_id=c.order.external_id,
                carrier_name=names[c.carrier.code],
                waybill_number=number,
            )
            for c in confirmations
            for number in waybills[(c.order_id, c.manifest_id)]
        ]
        built = bulk_shipping_file(platform, rows, carrier_names=sorted(set(names.values())))
        now = timezone.now()
        number = next_number("FH", width=4)
        export = ConfirmationExport.objects.create(
            number=number,
            channel=channel,
            platform=platform,
            filename=f"{number}-{built.filename}",
            content_type=built.content_type,
            content=built.content,
            row_count=len(rows),
            created_by=acting_user(by),
        )
        ShipmentConfirmation.objects.filter(pk__in=[c.pk for c in confirmations]).update(
            status=ConfirmationStatus.CONFIRMED,
            confirmed_at=now,
            confirmed_by=acting_user(by),
            export=export,
        )
        _stop_clocks(sorted({c.order_id for c in confirmations}), now)
    log.info("bulk-shipping file %s: %s rows for %s", export.number, len(rows), channel.code)
    return export


def _waybills_of(confirmations: list[ShipmentConfirmation]) -> dict[tuple[int, int], list[str]]:
    """(order, manifest) -> the waybill numbers of the order's parcels on that manifest."""
    found: dict[tuple[int, int], list[str]] = {
        (c.order_id, c.manifest_id): [] for c in confirmations
    }
    pairs = (
        DeliveryNote.objects.filter(
            order_id__in={c.order_id for c in confirmations},
            parcel__manifest_id__in={c.manifest_id for c in confirmations},
        )
        .order_by("parcel_id")
        .values_list("order_id", "parcel__manifest_id", "parcel__waybill_number")
    )
    for order_id, manifest_id, waybill in pairs:
        numbers = found.get((order_id, manifest_id))
        if numbers is not None and waybill not in numbers:
            numbers.append(waybill)
    return found


def confirmation_task_run(
    *, manifest_id: int | None = None, confirmation_ids: list[int] | None = None
) -> DeliveryReport:
    """What the Celery task runs: the given rows, a manifest's, or every due one."""
    if confirmation_ids is None:
        return confirmations_deliver_due(manifest_id=manifest_id)
    report = DeliveryReport()
    for pk in confirmation_ids:
        done = confirmation_deliver(confirmation_id=pk)
        if done is None:
            continue
        bucket = {
            ConfirmationStatus.CONFIRMED: report.confirmed,
            ConfirmationStatus.FAILED: report.failed,
        }.get(ConfirmationStatus(done.status), report.retrying)
        bucket.append(pk)
    return report
