"""Changes from the platform after the order is in (平台变更, issue 20 §4).

A platform tells us, after the order came in, that the buyer changed the address or the
note, asked for a refund (of a line or the whole order) or withdrew it, or that the order
was closed. ``order_platform_event`` keeps each change once (unique per channel on the
platform's event id: the same event again changes nothing and answers the same) and acts
by where the order stands:

- before release (received, identified, confirmed, on hold, parked; allocated for address
  and note, which the parcel reads when it is packed): an address or note change is applied
  (the address checked for delivery first), a refund request or a closure holds the order
  for a person (``HoldKind.PLATFORM_REFUND`` / ``PLATFORM_CLOSED``), a withdrawn refund
  releases that hold when nothing else holds the order;
- released to the warehouse: the warehouse is asked to stop the parcel through the
  cancellation request (``order_cancellation_request``); it decides;
- a change that cannot be applied (an undeliverable address, a refund of a line the order
  does not have or above what was paid) parks the order in the exception queue with the
  reason ``platform_change``; past release, or for an allocated order that cannot be held,
  the change is kept as not applied and the sales reps are notified.

Every change is written on the order's timeline.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ecomops.accounts.roles import RoleCode
from ecomops.audit.services import note_add
from ecomops.errors import ApplicationError, ConflictError
from ecomops.fsm import transition
from ecomops.money import to_money
from ecomops.notifications.services import notify_role
from ecomops.sla.services import sla_clock_start

from ..models import (
    HOLDABLE_STATES,
    PRE_WAREHOUSE_STATES,
    Channel,
    ExceptionCode,
    HoldKind,
    Order,
    OrderException,
    OrderState,
    PlatformEvent,
    PlatformEventKind,
    PlatformEventOutcome,
)
from .clocks import EXCEPTION_CLOCK
from .intake import FieldErrorCollector, _check_shipping, normalize_phone
from .orders import order_cancellation_request

Outcome = PlatformEventOutcome

# Where a change is applied or holds the order: nothing has gone to the warehouse yet.
BEFORE_RELEASE_STATES = (*PRE_WAREHOUSE_STATES, OrderState.ON_HOLD, OrderState.EXCEPTION)
# The order's receiver and address, as the event's ``address`` names them.
ADDRESS_FIELDS = {
    "name": "receiver_name",
    "phone": "receiver_phone",
    "province": "ship_province",
    "city": "ship_city",
    "district": "ship_district",
    "street_address": "ship_street",
    "postcode": "ship_postcode",
}
PLATFORM_HOLDS = (HoldKind.PLATFORM_REFUND, HoldKind.PLATFORM_CLOSED)


class OrderNotFoundError(ApplicationError):
    """No order with that number on the channel (HTTP 404)."""

    status_code = 404


@dataclass
class PlatformEventResult:
    event: PlatformEvent
    created: bool


@dataclass
class _Done:
    outcome: str
    message: str


def event_hash(*, kind: str, occurred_at: datetime, data: dict[str, Any]) -> str:
    text = json.dumps(
        {"kind": kind, "occurred_at": occurred_at.isoformat(), "data": data},
        sort_keys=True,
        ensure_ascii=False,
        default=str,
    )
    return hashlib.sha256(text.encode()).hexdigest()


def _jsonable(data: dict[str, Any]) -> dict[str, Any]:
    return json.loads(json.dumps(data, default=str))


def _repeat(event: PlatformEvent, external_id: str, digest: str) -> PlatformEventResult:
    same_order = Order.objects.filter(pk=event.order_id, external_id=external_id).exists()
    if event.payload_hash != digest or not same_order:
        raise ConflictError(
            _("Platform event %(event_id)s was already received with different content.")
            % {"event_id": event.event_id},
            {"fields": {"event_id": [_("Already used for another change.")]}},
        )
    return PlatformEventResult(event=event, created=False)


def order_platform_event(
    *,
    channel: Channel,
    external_id: str,
    event_id: str,
    kind: str,
    occurred_at: datetime,
    data: dict[str, Any],
    by: Any = None,
) -> PlatformEventResult:
    """Take one change the platform sent for order ``external_id`` of ``channel``.

    Idempotent on (channel, event id): the same event again returns the event kept the
    first time (``created=False``); the same id with other content is a ``ConflictError``.
    ``OrderNotFoundError`` (404) when the channel has no such order.
    """
    if kind not in PlatformEventKind.values:
        raise ApplicationError(
            _("Unknown change %(kind)s.") % {"kind": kind},
            {"fields": {"type": [_("Choose one of the listed changes.")]}},
        )
    data = _jsonable(data)
    digest = event_hash(kind=kind, occurred_at=occurred_at, data=data)
    known = PlatformEvent.objects.filter(channel=channel, event_id=event_id).first()
    if known is not None:
        return _repeat(known, external_id, digest)
    try:
        with transaction.atomic():
            order = (
                Order.objects.select_for_update()
                .filter(channel=channel, external_id=external_id)
                .first()
            )
            if order is None:
                raise OrderNotFoundError(
                    _("Channel %(channel)s has no order %(external_id)s.")
                    % {"channel": channel.code, "external_id": external_id}
                )
            known = PlatformEvent.objects.filter(channel=channel, event_id=event_id).first()
            if known is not None:
                return _repeat(known, external_id, digest)
            done = HANDLERS[kind](order, data, event_id)
            event = PlatformEvent.objects.create(
                channel=channel,
                order=order,
                event_id=event_id,
                kind=kind,
                occurred_at=occurred_at,
                data=data,
                payload_hash=digest,
                outcome=done.outcome,
                message=done.message[:500],
            )
            note_add(
                obj=order,
                text=_("Platform change %(kind)s (%(event_id)s): %(outcome)s. %(message)s")
                % {
                    "kind": PlatformEventKind(kind).label,
                    "event_id": event_id,
                    "outcome": Outcome(done.outcome).label,
                    "message": done.message,
                },
                by=by,
            )
    except IntegrityError:
        # The same event id committed by a concurrent request first.
        known = PlatformEvent.objects.filter(channel=channel, event_id=event_id).first()
        if known is None:
            raise
        return _repeat(known, external_id, digest)
    return PlatformEventResult(event=event, created=True)


# --- What each state does ------------------------------------------------------------------


def _intercept(order: Order, why: str) -> _Done:
    """Released: ask the warehouse to stop the parcel; it decides."""
    reason = _("Platform: %(why)s") % {"why": why}
    order_cancellation_request(order_id=order.pk, by=None, reason=reason[:300])
    return _Done(
        Outcome.INTERCEPT_REQUESTED,
        _("%(why)s The warehouse was asked to stop the parcel.") % {"why": why},
    )


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _not_applied(order: Order, why: str) -> _Done:
    """Too late to act here (shipped, or allocated and not holdable): tell the sales reps."""
    message = _("%(why)s Not applied: order %(number)s is %(state)s.") % {
        "why": why,
        "number": order.number,
        "state": order.get_state_display(),
    }
    transaction.on_commit(
        lambda: notify_role(
            role=RoleCode.SALES_REP,
            title=_("Platform change not applied to order %(number)s") % {"number": order.number},
            body=message,
            url=order.get_absolute_url(),
            level="warning",
            key=f"orders-platform-change-{order.pk}-{_digest(message)}",
        )
    )
    return _Done(Outcome.IGNORED, message)


def _park(order: Order, field_path: str, why: str) -> _Done:
    """A change that cannot be applied: the order waits in the exception queue (an
    allocated order cannot wait there: its delivery note is with the warehouse)."""
    if order.state not in (*HOLDABLE_STATES, OrderState.ON_HOLD, OrderState.EXCEPTION):
        return _not_applied(order, why)
    now = timezone.now()
    OrderException.objects.create(
        order=order,
        code=ExceptionCode.PLATFORM_CHANGE,
        field=field_path,
        message=why[:500],
        found_at=now,
    )
    if order.state != OrderState.EXCEPTION:
        transition(
            order, "park", by=None, reason=why[:300], update_fields=["state_before_exception"]
        )
        sla_clock_start(code=EXCEPTION_CLOCK, obj=order, started_at=now)
    return _Done(Outcome.PARKED, why)


def _after_release(order: Order, why: str) -> _Done | None:
    """What a change does once the order is with the warehouse; None while it is not."""
    if order.state == OrderState.RELEASED:
        return _intercept(order, why)
    if order.state in (OrderState.SHIPPED, OrderState.DELIVERED, OrderState.COMPLETED):
        return _not_applied(order, why)
    if order.state == OrderState.CANCELLED:
        return _Done(Outcome.IGNORED, _("%(why)s The order is already cancelled.") % {"why": why})
    return None


def _hold(order: Order, kind: str, why: str) -> _Done:
    """Hold the order for a person (the hold mechanism of the sales rep's screen)."""
    if order.state == OrderState.EXCEPTION:
        return _park(order, "", why)
    if order.state == OrderState.ON_HOLD:
        if order.hold_kind == HoldKind.PLATFORM_CLOSED or order.hold_kind == kind:
            return _Done(Outcome.HELD, _("%(why)s Already on hold.") % {"why": why})
        if kind == HoldKind.PLATFORM_CLOSED:
            # Closed outweighs every other hold: a person is to cancel it.
            previous = order.hold_reason
            order.hold_kind, order.hold_reason = kind, why[:300]
            order.save(update_fields=["hold_kind", "hold_reason"])
            return _Done(
                Outcome.HELD,
                _("%(why)s The hold (%(previous)s) now says so.")
                % {"why": why, "previous": previous},
            )
        return _Done(
            Outcome.HELD, _("%(why)s The order was already on hold: it stays so.") % {"why": why}
        )
    if order.state not in HOLDABLE_STATES:
        return _not_applied(order, why)
    transition(
        order,
        "hold",
        by=None,
        reason=why[:300],
        update_fields=["state_before_hold", "hold_kind", "hold_reason"],
        kind=kind,
        why=why[:300],
    )
    return _Done(Outcome.HELD, why)


def _address_text(values: dict[str, str]) -> str:
    return " ".join(
        v
        for v in (
            values.get("name", ""),
            values.get("phone", ""),
            values.get("province", ""),
            values.get("city", ""),
            values.get("district", ""),
            values.get("street_address", ""),
            values.get("postcode", ""),
        )
        if v
    )


def _address_changed(order: Order, data: dict[str, Any], event_id: str) -> _Done:
    sent = data.get("address") or {}
    new = {key: str(sent.get(key) or "").strip() for key in ADDRESS_FIELDS}
    new["phone"] = normalize_phone(new["phone"])
    why = _("The buyer changed the address to %(address)s.") % {"address": _address_text(new)}
    late = _after_release(order, why)
    if late is not None:
        return late
    errors = FieldErrorCollector()
    _check_shipping(errors, new)
    if errors.fields:
        problems = "; ".join(
            f"{path.replace('shipping_address.', 'address.')}: {' '.join(messages)}"
            for path, messages in errors.fields.items()
        )
        return _park(
            order,
            "address",
            _("%(why)s It cannot be delivered to: %(problems)s")
            % {"why": why, "problems": problems},
        )
    changes = []
    for key, name in ADDRESS_FIELDS.items():
        old = getattr(order, name)
        if old != new[key]:
            changes.append(
                f"{Order._meta.get_field(name).verbose_name}: {old or '—'} → {new[key] or '—'}"
            )
            setattr(order, name, new[key])
    if not changes:
        return _Done(Outcome.IGNORED, _("The address is the one the order already has."))
    order.save(update_fields=list(ADDRESS_FIELDS.values()))
    return _Done(
        Outcome.APPLIED,
        _("Address changed by the platform: %(changes)s") % {"changes": "; ".join(changes)},
    )


def _buyer_note_changed(order: Order, data: dict[str, Any], event_id: str) -> _Done:
    note = str(data.get("buyer_note") or "").strip()
    why = _("The buyer changed the note to: %(note)s") % {"note": note or "—"}
    late = _after_release(order, why)
    if late is not None:
        return late
    if order.buyer_note == note:
        return _Done(Outcome.IGNORED, _("The note is the one the order already has."))
    old = order.buyer_note
    order.buyer_note = note
    order.save(update_fields=["buyer_note"])
    return _Done(
        Outcome.APPLIED,
        _("Buyer note changed by the platform: %(old)s → %(new)s")
        % {"old": old or "—", "new": note or "—"},
    )


def _order_lines(order: Order) -> list[dict[str, Any]]:
    """The order's lines as (position, codes, net amount); a parked order has none yet and
    is read from its payload."""
    lines = list(order.lines.select_related("sku").order_by("position"))
    if lines:
        return [
            {
                "position": line.position,
                "codes": {line.sku.code, line.channel_sku_code},
                "net": line.net_amount,
            }
            for line in lines
        ]
    return [
        {
            "position": index + 1,
            "codes": {str(line.get("sku") or "")},
            "net": to_money(line.get("unit_price") or 0) * int(line.get("quantity") or 0)
            - to_money(line.get("discount") or 0),
        }
        for index, line in enumerate(order.payload.get("lines") or [])
    ]


def _refund_requested(order: Order, data: dict[str, Any], event_id: str) -> _Done:
    amount = to_money(data.get("amount") or 0)
    reason = str(data.get("reason") or "").strip()
    position, sku = data.get("line"), str(data.get("sku") or "").strip()
    if position is None and not sku:
        what = _("the whole order")
    elif position is not None:
        what = _("line %(line)s") % {"line": position}
    else:
        what = _("SKU %(sku)s") % {"sku": sku}
    why = _("Refund of ¥%(amount)s requested for %(what)s: %(reason)s") % {
        "amount": amount,
        "what": what,
        "reason": reason or "—",
    }
    late = _after_release(order, why)
    if late is not None:
        return late
    # The refund must be of something the order has, and at most what was paid for it.
    limit: Decimal = order.paid_amount or order.total_amount
    field_path, problem = "amount", ""
    if position is not None or sku:
        field_path = "line" if position is not None else "sku"
        matches = [
            line
            for line in _order_lines(order)
            if (position is not None and line["position"] == position)
            or (sku and sku in line["codes"])
        ]
        if not matches:
            problem = _("The order has no %(what)s.") % {"what": what}
        else:
            limit = min(limit, matches[0]["net"])
    if not problem and amount > limit:
        field_path = "amount"
        problem = _("¥%(amount)s is more than the ¥%(limit)s paid for it.") % {
            "amount": amount,
            "limit": to_money(limit),
        }
    if problem:
        return _park(order, field_path, f"{why} {problem}")
    if order.state == OrderState.ALLOCATED:
        return _not_applied(order, why)
    return _hold(order, HoldKind.PLATFORM_REFUND, why)


def _refund_withdrawn(order: Order, data: dict[str, Any], event_id: str) -> _Done:
    reason = str(data.get("reason") or "").strip()
    why = _("The buyer withdrew the refund request.")
    if reason:
        why = f"{why} {reason}"
    if order.state == OrderState.ON_HOLD and order.hold_kind == HoldKind.PLATFORM_REFUND:
        transition(
            order,
            "release_hold",
            by=None,
            reason=why[:300],
            update_fields=["state_before_hold", "hold_kind", "hold_reason"],
        )
        return _Done(Outcome.APPLIED, _("%(why)s The hold was released.") % {"why": why})
    if order.state == OrderState.ON_HOLD:
        return _Done(
            Outcome.IGNORED,
            _("%(why)s The order stays on hold: %(hold)s")
            % {"why": why, "hold": order.hold_reason or order.get_hold_kind_display()},
        )
    return _Done(Outcome.IGNORED, _("%(why)s Nothing was held for it.") % {"why": why})


def _order_closed(order: Order, data: dict[str, Any], event_id: str) -> _Done:
    reason = str(data.get("reason") or "").strip()
    why = _("The order was closed on the platform: %(reason)s") % {"reason": reason or "—"}
    late = _after_release(order, why)
    if late is not None:
        return late
    if order.state == OrderState.ALLOCATED:
        return _not_applied(order, why)
    return _hold(order, HoldKind.PLATFORM_CLOSED, why)


HANDLERS: dict[str, Callable[[Order, dict[str, Any], str], _Done]] = {
    PlatformEventKind.ADDRESS_CHANGED: _address_changed,
    PlatformEventKind.BUYER_NOTE_CHANGED: _buyer_note_changed,
    PlatformEventKind.REFUND_REQUESTED: _refund_requested,
    PlatformEventKind.REFUND_WITHDRAWN: _refund_withdrawn,
    PlatformEventKind.ORDER_CLOSED: _order_closed,
}


def order_platform_state_moved(
    *, channel: Channel, external_id: str, closed: bool, platform_state: str, source: str
) -> PlatformEventResult:
    """A re-import found an order we have closed (``closed``) or refunding on the platform:
    the same as the ``order_closed`` / ``refund_requested`` (whole order) event. The event
    id comes from ``source`` (the file), the order and the state, so importing the same
    file again changes nothing."""
    kind = PlatformEventKind.ORDER_CLOSED if closed else PlatformEventKind.REFUND_REQUESTED
    digest = hashlib.sha256(f"{source}|{external_id}|{kind}".encode()).hexdigest()[:32]
    known = PlatformEvent.objects.filter(channel=channel, event_id=f"import-{digest}").first()
    if known is not None:
        # Imported again, later: the file says what it said (its time is the import's).
        return PlatformEventResult(event=known, created=False)
    data: dict[str, Any] = {"reason": platform_state}
    if not closed:
        order = Order.objects.filter(channel=channel, external_id=external_id).first()
        paid = order.paid_amount or order.total_amount if order is not None else Decimal("0")
        data["amount"] = str(paid)
    return order_platform_event(
        channel=channel,
        external_id=external_id,
        event_id=f"import-{digest}",
        kind=kind,
        occurred_at=timezone.now(),
        data=data,
    )
