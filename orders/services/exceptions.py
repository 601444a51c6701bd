"""The exception queue (异常订单): fix, approve, re-check, release or cancel a parked order.

A parked order keeps its payload as received (so a platform repeat is still the same
order); fixes are kept beside it: an edited address on the order's own fields (the change
noted on its timeline), a mapping on the channel, an approval on the ``OrderException`` it
answers. The re-check runs the intake's rules (``prepare_order(park=True)``) on the payload
plus those fixes: reasons no longer found are closed, new ones added, approved ones stay
approved. Release needs no open reason; it creates the lines and starts the normal flow.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ecomops.accounts.selectors import acting_user
from ecomops.audit.services import note_add
from ecomops.cutoffs import batch_for
from ecomops.errors import ApplicationError, ConflictError, require_permission
from ecomops.fsm import transition
from ecomops.sla.services import sla_clock_stop
from listings.models import Sku

from ..models import (
    BlacklistEntry,
    BlacklistKind,
    ChannelSkuMapping,
    ExceptionCode,
    ExceptionResolution,
    Order,
    OrderException,
    OrderState,
)
from ..selectors import exact_customer_match, open_exceptions, parked_orders_waiting_for_code
from .accept import create_lines, identify_automatically
from .clocks import EXCEPTION_CLOCK, clocks_on_received
from .intake import OrderPayload, _Prepared, normalize_phone, prepare_order
from .orders import BulkResult, order_cancel, orders_bulk

RESOLVE = "orders.resolve_exception"


class ExceptionQueueError(ApplicationError):
    """A fix, approval or release of a parked order that breaks a rule."""


@dataclass
class RecheckResult:
    order: Order
    open_reasons: list[OrderException]
    released: bool = False


def _may_resolve(by: Any) -> None:
    require_permission(by, RESOLVE, _("You are not allowed to work the exception queue."))


def _required(value: str, field_name: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ExceptionQueueError(
            _("Give a reason."), {"fields": {field_name: [_("This field is required.")]}}
        )
    return value


def _lock(order_id: int) -> Order:
    return Order.objects.select_for_update(of=("self",)).select_related("channel").get(pk=order_id)


def effective_payload(order: Order) -> OrderPayload:
    """The payload as received with the fixes made since: the order's own address and
    receiver, and its customer data (a corrected phone)."""
    payload = dict(order.payload)
    payload["customer"] = dict(order.customer_data)
    payload["shipping_address"] = {
        "name": order.receiver_name,
        "phone": order.receiver_phone,
        "province": order.ship_province,
        "city": order.ship_city,
        "district": order.ship_district,
        "street_address": order.ship_street,
        "postcode": order.ship_postcode,
    }
    return payload


def _recheck_locked(order: Order, *, by: Any) -> tuple[list[OrderException], _Prepared]:
    prepared = prepare_order(order.channel, effective_payload(order), park=True, parked=order)
    now = timezone.now()
    approved = set(
        order.exceptions.filter(resolution=ExceptionResolution.APPROVED).values_list(
            "code", "field"
        )
    )
    found = {(r.code, r.field): r for r in prepared.reasons if (r.code, r.field) not in approved}
    still_open: list[OrderException] = []
    for exception in open_exceptions(order):
        key = (exception.code, exception.field)
        if exception.code == ExceptionCode.PLATFORM_CHANGE:
            # The rules cannot find it again: it stays until a person approves it.
            still_open.append(exception)
            continue
        if key in found:
            found.pop(key)
            still_open.append(exception)
            continue
        exception.resolved_at = now
        exception.resolved_by = acting_user(by)
        exception.resolution = ExceptionResolution.CLEARED
        exception.save(update_fields=["resolved_at", "resolved_by", "resolution"])
    still_open += OrderException.objects.bulk_create(
        [
            OrderException(
                order=order, code=r.code, field=r.field, message=r.message[:500], found_at=now
            )
            for r in found.values()
        ]
    )
    return still_open, prepared


def _release_locked(order: Order, prepared: _Prepared, *, by: Any, reason: str) -> None:
    now = timezone.now()
    if getattr(order, "state_before_exception", ""):
        # Parked from the flow by a platform change (issue 20 §4): it has its lines, batch
        # and clocks already and goes back where it was.
        transition(
            order,
            "release_exception",
            by=by,
            reason=reason,
            update_fields=["state_before_exception"],
            at=now,
        )
        sla_clock_stop(code=EXCEPTION_CLOCK, obj=order, stopped_at=now)
        return
    batch = batch_for(now)
    order.batch_date, order.batch_slot, order.ship_by = batch.batch_date, batch.slot, batch.ship_by
    transition(
        order,
        "release_exception",
        by=by,
        reason=reason,
        update_fields=["accepted_at", "batch_date", "batch_slot", "ship_by"],
        at=now,
    )
    create_lines(order, prepared)
    sla_clock_stop(code=EXCEPTION_CLOCK, obj=order, stopped_at=now)
    clocks_on_received(order, at=now)
    match = exact_customer_match(order.customer_data)
    if match is not None:
        identify_automatically(order, match)


def order_exception_recheck(
    *, order_id: int, by: Any, release_when_clear: bool = False
) -> RecheckResult:
    """Run the rules again on a parked order; with ``release_when_clear`` an order left
    without reasons is released."""
    _may_resolve(by)
    with transaction.atomic():
        order = _lock(order_id)
        if order.state != OrderState.EXCEPTION:
            return RecheckResult(order=order, open_reasons=[])
        still_open, prepared = _recheck_locked(order, by=by)
        if release_when_clear and not still_open:
            _release_locked(
                order, prepared, by=by, reason=_("Released: no reason left after the re-check.")
            )
            return RecheckResult(order=order, open_reasons=[], released=True)
    return RecheckResult(order=order, open_reasons=still_open)


def order_exception_release(*, order_id: int, by: Any) -> Order:
    """Release a parked order into the normal flow; refused while a reason remains."""
    _may_resolve(by)
    with transaction.atomic():
        order = _lock(order_id)
        if order.state != OrderState.EXCEPTION:
            if order.state == OrderState.CANCELLED:
                raise ConflictError(_("Order %(number)s is cancelled.") % {"number": order.number})
            return order
        still_open, prepared = _recheck_locked(order, by=by)
        if still_open:
            raise ExceptionQueueError(
                _("Order %(number)s cannot be released yet: %(reasons)s")
                % {
                    "number": order.number,
                    "reasons": "; ".join(e.message for e in still_open),
                },
                {"reasons": [e.code for e in still_open]},
            )
        _release_locked(order, prepared, by=by, reason=_("Released from the exception queue."))
    return order


def order_exception_cancel(*, order_id: int, by: Any, reason: str) -> Order:
    """Cancel a parked order with a reason (the buyer is refunded on the platform)."""
    _may_resolve(by)
    return order_cancel(order_id=order_id, by=by, reason=reason)


def order_exception_map_line(
    *, order_id: int, line_index: int, sku_code: str, by: Any
) -> tuple[ChannelSkuMapping, list[RecheckResult]]:
    """Map the code sent on line ``line_index`` (0-based) of a parked order."""
    _may_resolve(by)
    order = Order.objects.select_related("channel").get(pk=order_id)
    lines = order.payload.get("lines") or []
    if not 0 <= line_index < len(lines):
        raise ExceptionQueueError(_("The order has no such line."))
    sku = Sku.objects.filter(code=(sku_code or "").strip()).first()
    if sku is None:
        raise ExceptionQueueError(
            _("Unknown SKU %(code)s.") % {"code": sku_code},
            {"fields": {"sku_code": [_("Give one of our SKU codes.")]}},
        )
    return _map(order=order, codes={lines[line_index].get("sku", "")}, sku=sku, by=by)


def _map(
    *, order: Order, codes: set[str], sku: Sku, by: Any
) -> tuple[ChannelSkuMapping, list[RecheckResult]]:
    codes.discard("")
    if len(codes) != 1:
        raise ExceptionQueueError(_("Choose the line whose code to map."))
    (code,) = codes
    try:
        with transaction.atomic():
            mapping = ChannelSkuMapping.objects.create(
                channel=order.channel, outer_id=code, sku=sku
            )
    except IntegrityError:
        raise ExceptionQueueError(
            _("%(code)s is already mapped for this channel.") % {"code": code},
            {"fields": {"sku_code": [_("Already mapped: remove the old mapping first.")]}},
        ) from None
    note_add(
        obj=order,
        text=_("Code %(code)s mapped to SKU %(sku)s for channel %(channel)s.")
        % {"code": code, "sku": sku.code, "channel": order.channel.code},
        by=by,
    )
    results = [
        order_exception_recheck(order_id=waiting.pk, by=by, release_when_clear=True)
        for waiting in parked_orders_waiting_for_code(channel=order.channel, code=code)
    ]
    return mapping, results


ADDRESS_FIELDS = {
    "receiver_name": "name",
    "receiver_phone": "phone",
    "ship_province": "province",
    "ship_city": "city",
    "ship_district": "district",
    "ship_street": "street_address",
    "ship_postcode": "postcode",
}


def order_exception_edit_address(
    *, order_id: int, by: Any, reason: str, **address: str
) -> RecheckResult:
    """Correct the receiver and address of a parked order (the change noted on its
    timeline, the payload kept as received), then re-check it."""
    _may_resolve(by)
    reason = _required(reason, "reason")
    unknown = set(address) - set(ADDRESS_FIELDS)
    if unknown:
        raise TypeError(f"unknown address fields: {sorted(unknown)}")
    with transaction.atomic():
        order = _lock(order_id)
        if order.state != OrderState.EXCEPTION:
            raise ConflictError(
                _("Order %(number)s is not in the exception queue.") % {"number": order.number}
            )
        changes = []
        for name, value in address.items():
            value = (value or "").strip()
            if name == "receiver_phone":
                value = normalize_phone(value)
            buyer_key = {"receiver_phone": "phone", "receiver_name": "name"}.get(name)
            if buyer_key and order.customer_data.get(buyer_key, "") == getattr(order, name):
                # The buyer's own name or phone was the one sent hidden: correct it too.
                order.customer_data = {**order.customer_data, buyer_key: value}
            old = getattr(order, name)
            if old != value:
                changes.append(
                    f"{Order._meta.get_field(name).verbose_name}: {old or '—'} → {value or '—'}"
                )
                setattr(order, name, value)
        if not changes:
            raise ExceptionQueueError(_("Nothing was changed."))
        order.save(update_fields=[*ADDRESS_FIELDS, "customer_data"])
        note_add(
            obj=order,
            text=_("Address corrected (%(reason)s): %(changes)s")
            % {"reason": reason, "changes": "; ".join(changes)},
            by=by,
        )
    return order_exception_recheck(order_id=order_id, by=by)


def order_exception_approve(*, exception_id: int, by: Any, note: str) -> OrderException:
    """Let the order go ahead despite this reason (a price, a blacklist hit, a possible
    duplicate, amounts, a platform change), with why."""
    _may_resolve(by)
    note = _required(note, "note")
    with transaction.atomic():
        exception = (
            OrderException.objects.select_for_update(of=("self",))
            .select_related("order")
            .get(pk=exception_id)
        )
        if exception.resolved_at is not None:
            return exception
        if not exception.approvable:
            raise ExceptionQueueError(
                _("%(reason)s cannot be approved: fix it.")
                % {"reason": exception.get_code_display()}
            )
        exception.resolved_at = timezone.now()
        exception.resolved_by = acting_user(by)
        exception.resolution = ExceptionResolution.APPROVED
        exception.resolution_note = note
        exception.save(
            update_fields=["resolved_at", "resolved_by", "resolution", "resolution_note"]
        )
        note_add(
            obj=exception.order,
            text=_("Approved: %(message)s — %(note)s")
            % {"message": exception.message, "note": note},
            by=by,
        )
    return exception


def order_exceptions_release(*, order_ids: list[int], by: Any) -> BulkResult:
    return orders_bulk(order_ids=order_ids, action=order_exception_release, by=by)


def order_exceptions_cancel(*, order_ids: list[int], by: Any, reason: str) -> BulkResult:
    _required(reason, "reason")
    return orders_bulk(order_ids=order_ids, action=order_exception_cancel, by=by, reason=reason)


def _recheck_one(*, order_id: int, by: Any) -> Order:
    return order_exception_recheck(order_id=order_id, by=by).order


def order_exceptions_recheck(*, order_ids: list[int], by: Any) -> BulkResult:
    return orders_bulk(order_ids=order_ids, action=_recheck_one, by=by)


# --- The blacklist (黑名单) --------------------------------------------------------------


def blacklist_add(*, kind: str, value: str, reason: str, by: Any) -> BlacklistEntry:
    require_permission(by, "orders.add_blacklistentry", _("You may not change the blacklist."))
    value = (value or "").strip()
    errors: dict[str, list[str]] = {}
    if kind not in BlacklistKind.values:
        errors["kind"] = [_("Choose a kind.")]
    if not value:
        errors["value"] = [_("This field is required.")]
    if not (reason or "").strip():
        errors["reason"] = [_("This field is required.")]
    if errors:
        raise ExceptionQueueError(_("The entry was not added."), {"fields": errors})
    if kind == BlacklistKind.PHONE:
        value = normalize_phone(value)
    try:
        with transaction.atomic():
            return BlacklistEntry.objects.create(
                kind=kind, value=value, reason=reason.strip(), added_by=acting_user(by)
            )
    except IntegrityError:
        raise ExceptionQueueError(
            _("%(value)s is already on the blacklist.") % {"value": value},
            {"fields": {"value": [_("Already on the blacklist.")]}},
        ) from None


def blacklist_remove(*, entry_id: int, reason: str, by: Any) -> BlacklistEntry:
    require_permission(by, "orders.change_blacklistentry", _("You may not change the blacklist."))
    reason = _required(reason, "reason")
    with transaction.atomic():
        entry = BlacklistEntry.objects.select_for_update().get(pk=entry_id)
        if not entry.active:
            return entry
        entry.active = False
        entry.removed_at = timezone.now()
        entry.removed_by = acting_user(by)
        entry.removal_reason = reason
        entry.save(update_fields=["active", "removed_at", "removed_by", "removal_reason"])
    return entry
