"""Return requests, from the customer's call to the refund or the replacement (DESIGN §5).

open → (photos) → approved by service → confirmed by the shop manager (someone else) →
awaiting goods → received and inspected by the warehouse (restock or write off) → refund
and red-letter requests in finance, or a replacement order → closed. A refund without
return goes from the shop manager's confirmation straight to the refund.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from ecomops.accounts.roles import RoleCode
from ecomops.accounts.selectors import acting_user
from ecomops.errors import (
    ApplicationError,
    ConflictError,
    PermissionDeniedError,
    require_permission,
)
from ecomops.fsm import transition, transition_label
from ecomops.money import ZERO, format_money
from ecomops.notifications.services import notify_role, notify_users
from ecomops.numbering.services import next_number
from ecomops.sla.services import sla_clock_start, sla_clock_stop
from finance.models import RefundSource
from finance.services import (
    RefundItem,
    red_letter_request,
    refund_request,
    refundable_amount,
)
from orders.models import Channel, Order, OrderSource
from orders.services import IntakeError, order_intake
from orders.services.intake import CUSTOMER_KEYS
from warehouse.models import Location
from warehouse.selectors import shipped_quantities
from warehouse.services import stock_return, stock_write_off

from ..models import (
    REVIEW_CLOCK,
    REVIEW_STATES,
    ReturnKind,
    ReturnLine,
    ReturnReason,
    ReturnRequest,
    ReturnState,
)
from ..selectors.requests import net_value_of, returned_quantities, window_is_closed
from .training import require_cleared_for_customers


class ReturnError(ApplicationError):
    """A return request that cannot be made or moved on as asked."""


@dataclass(frozen=True)
class ReturnItem:
    """Units of one order line the customer wants to return."""

    order_line_id: int
    quantity: int


@dataclass(frozen=True)
class LineInspection:
    """What the warehouse found for one line: units restocked (into a location) and units
    written off (with a reason); the rest were refused or did not come back."""

    line_id: int
    restock_quantity: int = 0
    location_id: int | None = None
    write_off_quantity: int = 0
    write_off_reason: str = ""
    note: str = ""


def _lock(request_id: int) -> ReturnRequest:
    return ReturnRequest.objects.select_for_update().get(pk=request_id)


def _opener(request: ReturnRequest) -> list[Any]:
    return [request.opened_by] if request.opened_by_id else []


def _people(*users: Any) -> list[Any]:
    seen: dict[int, Any] = {}
    for user in users:
        if user is not None and user.pk not in seen:
            seen[user.pk] = user
    return list(seen.values())


# --- Opening ---------------------------------------------------------------------------------


def return_open(
    *,
    order_id: int,
    kind: str,
    reason: str,
    items: Sequence[ReturnItem],
    reason_detail: str = "",
    window_override_reason: str = "",
    by: Any,
) -> ReturnRequest:
    """Service opens a request for an order's lines.

    Refused with the field at fault when a line asks for more than was shipped minus what
    is already returned or being returned, or when the return window has closed (a manager
    may accept it anyway, giving a reason).
    """
    require_permission(by, "returns.handle_return")
    require_cleared_for_customers(by)
    errors: dict[str, list[str]] = {}
    if kind not in ReturnKind.values:
        errors["kind"] = [_("Choose return, exchange or refund without return.")]
    if reason not in ReturnReason.values:
        errors["reason"] = [_("Choose a reason from the list.")]
    if reason == ReturnReason.OTHER and not reason_detail.strip():
        errors["reason_detail"] = [_("Describe the reason in the customer's words.")]
    wanted = [item for item in items if item.quantity]
    if any(item.quantity < 0 for item in items):
        errors["lines"] = [_("Quantities cannot be negative.")]
    elif not wanted:
        errors["lines"] = [_("Enter how many units of at least one line come back.")]
    if errors:
        raise ReturnError(_("The return request is not complete."), {"fields": errors})
    override_reason = window_override_reason.strip()
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order_id)
        lines = {line.pk: line for line in order.lines.select_related("sku")}
        shipped = shipped_quantities(order)
        returned = returned_quantities(order)
        for item in wanted:
            line = lines.get(item.order_line_id)
            if line is None:
                raise ReturnError(
                    _("Order %(order)s has no such line.") % {"order": order.number},
                    {"fields": {"lines": [_("Unknown order line.")]}},
                )
            left = shipped.get(line.pk, 0) - returned.get(line.pk, 0)
            if item.quantity > left:
                raise ReturnError(
                    _(
                        "Line %(position)s (%(sku)s): %(shipped)d shipped, %(returned)d already "
                        "returned or being returned, so at most %(left)d can come back, "
                        "not %(quantity)d."
                    )
                    % {
                        "position": line.position,
                        "sku": line.sku.code,
                        "shipped": shipped.get(line.pk, 0),
                        "returned": returned.get(line.pk, 0),
                        "left": max(left, 0),
                        "quantity": item.quantity,
                    },
                    {"fields": {f"line_{line.pk}": [_("More than may be returned.")]}},
                )
        if window_is_closed(order):
            if not override_reason:
                raise ReturnError(
                    _(
                        "Order %(order)s was delivered on %(day)s: the %(days)d-day return "
                        "window has closed. A manager may accept the return with a reason."
                    )
                    % {
                        "order": order.number,
                        "day": timezone.localdate(order.delivered_at).isoformat(),
                        "days": settings.RETURNS_WINDOW_DAYS,
                    },
                    {"fields": {"window_override_reason": [_("The return window has closed.")]}},
                )
            require_permission(by, "returns.override_return_window")
        else:
            override_reason = ""
        now = timezone.now()
        request = ReturnRequest.objects.create(
            number=next_number("RT"),
            order=order,
            customer_id=order.customer_id,
            kind=kind,
            reason=reason,
            reason_detail=reason_detail.strip(),
            window_override_reason=override_reason,
            opened_at=now,
            opened_by=acting_user(by),
        )
        ReturnLine.objects.bulk_create(
            ReturnLine(
                request=request,
                order_line=lines[item.order_line_id],
                sku=lines[item.order_line_id].sku,
                quantity=item.quantity,
            )
            for item in wanted
        )
        sla_clock_start(code=REVIEW_CLOCK, obj=request, started_at=now)
    return request


def _require_step_permission(by: Any, name: str, permission: str) -> None:
    """Refuse a user who may not take the step before looking at the request: a step already
    taken returns unchanged, and must not answer "Saved." to someone without the right
    (the transition checks the permission only when it runs)."""
    require_permission(
        by,
        permission,
        _("You are not allowed to do this: %(action)s.")
        % {"action": transition_label(ReturnRequest, name)},
    )


# --- Review by service -----------------------------------------------------------------------


def return_approve(*, request_id: int, by: Any, note: str = "") -> ReturnRequest:
    """Service approves; the shop managers are asked to confirm."""
    _require_step_permission(by, "approve", "returns.approve_return")
    with transaction.atomic():
        request = _lock(request_id)
        if request.state == ReturnState.APPROVED:
            return request
        now = timezone.now()
        transition(
            request,
            "approve",
            by=by,
            reason=note,
            update_fields=["reviewed_at", "approved_by"],
            at=now,
            user=acting_user(by),
        )
        sla_clock_stop(code=REVIEW_CLOCK, obj=request, stopped_at=now)
        notify_role(
            role=RoleCode.SHOP_MANAGER,
            title=_("Return %(number)s (order %(order)s) approved: confirm it")
            % {"number": request.number, "order": request.order.number},
            body=request.get_kind_display(),
            url=request.get_absolute_url(),
            key=f"return-approved-{request.pk}",
        )
    return request


def return_reject(*, request_id: int, why: str, by: Any) -> ReturnRequest:
    why = why.strip()
    if not why:
        raise ReturnError(
            _("Say why the return is rejected; the customer will be told."),
            {"fields": {"reason": [_("Enter a reason.")]}},
        )
    with transaction.atomic():
        request = _lock(request_id)
        now = timezone.now()
        transition(
            request,
            "reject",
            by=by,
            reason=why,
            update_fields=["reviewed_at", "rejection_reason"],
            at=now,
            why=why,
        )
        sla_clock_stop(code=REVIEW_CLOCK, obj=request, stopped_at=now)
    return request


# --- The shop manager's confirmation --------------------------------------------------------


def return_confirm(*, request_id: int, by: Any) -> ReturnRequest:
    """The shop manager confirms in the back office; never the person who approved it.

    A return or exchange now waits for the goods; a refund without return goes to
    finance at once.
    """
    _require_step_permission(by, "confirm", "returns.confirm_return")
    with transaction.atomic():
        request = _lock(request_id)
        if request.state != ReturnState.APPROVED:
            if request.confirmed_at is not None:
                return request
            raise ConflictError(
                _("Return %(number)s is %(state)s: only an approved request is confirmed.")
                % {"number": request.number, "state": request.get_state_display()}
            )
        actor = acting_user(by)
        if actor is not None and actor.pk == request.approved_by_id:
            raise PermissionDeniedError(
                _(
                    "You approved return %(number)s yourself: another person confirms it "
                    "(four eyes)."
                )
                % {"number": request.number}
            )
        now = timezone.now()
        if request.kind == ReturnKind.REFUND_ONLY:
            transition(
                request,
                "confirm_refund",
                by=by,
                update_fields=["confirmed_at", "confirmed_by"],
                at=now,
                user=actor,
            )
            _ask_finance(request, {line: line.quantity for line in request.lines.all()})
        else:
            transition(
                request,
                "confirm",
                by=by,
                update_fields=["confirmed_at", "confirmed_by"],
                at=now,
                user=actor,
            )
            notify_users(
                users=_opener(request),
                title=_("Return %(number)s confirmed: send the customer the return address")
                % {"number": request.number},
                url=request.get_absolute_url(),
                key=f"return-confirmed-{request.pk}",
            )
    return request


# --- Goods on their way back ----------------------------------------------------------------


def return_record_waybill(
    *, request_id: int, waybill: str, carrier: str = "", by: Any
) -> ReturnRequest:
    """The customer's return waybill number (from the customer or the carrier's app)."""
    require_permission(by, "returns.handle_return")
    waybill = waybill.strip().upper()
    if not waybill:
        raise ReturnError(
            _("Enter the waybill number of the customer's parcel."),
            {"fields": {"waybill": [_("This field is required.")]}},
        )
    with transaction.atomic():
        request = _lock(request_id)
        if request.state != ReturnState.AWAITING_GOODS:
            raise ConflictError(
                _("Return %(number)s is %(state)s: no parcel is expected.")
                % {"number": request.number, "state": request.get_state_display()}
            )
        request.return_waybill = waybill
        request.return_carrier = carrier.strip()
        request.waybill_recorded_at = timezone.now()
        request.save(update_fields=["return_waybill", "return_carrier", "waybill_recorded_at"])
        notify_role(
            role=RoleCode.WAREHOUSE_ADMIN,
            title=_("Return parcel %(waybill)s on its way (%(number)s)")
            % {"waybill": waybill, "number": request.number},
            url=request.get_absolute_url(),
            key=f"return-waybill-{request.pk}-{waybill}",
        )
    return request


def return_receive(*, request_id: int, by: Any) -> ReturnRequest:
    """The warehouse signs for the customer's parcel against the request."""
    _require_step_permission(by, "receive", "returns.receive_return")
    with transaction.atomic():
        request = _lock(request_id)
        if request.state == ReturnState.RECEIVED:
            return request
        transition(
            request,
            "receive",
            by=by,
            update_fields=["received_at", "received_by"],
            at=timezone.now(),
            user=acting_user(by),
        )
    return request


def return_inspect(*, request_id: int, results: Sequence[LineInspection], by: Any) -> ReturnRequest:
    """The warehouse inspects each line: restocked units go back into a location, written
    off units are booked in and out with the reason. The accepted units (both) are then
    refunded, with a red-letter invoice where one was issued, or replaced."""
    require_permission(by, "returns.receive_return")
    with transaction.atomic():
        request = _lock(request_id)
        if request.state != ReturnState.RECEIVED:
            raise ConflictError(
                _("Return %(number)s is %(state)s: only received goods are inspected.")
                % {"number": request.number, "state": request.get_state_display()}
            )
        lines = {line.pk: line for line in request.lines.select_related("sku", "order_line")}
        by_line = {result.line_id: result for result in results}
        errors: dict[str, list[str]] = {}
        locations: dict[int, Location] = {}
        for line_id, result in by_line.items():
            line = lines.get(line_id)
            if line is None:
                raise ReturnError(
                    _("Return %(number)s has no such line.") % {"number": request.number}
                )
            field = f"line_{line_id}"
            if result.restock_quantity < 0 or result.write_off_quantity < 0:
                errors[field] = [_("Quantities cannot be negative.")]
            elif result.restock_quantity + result.write_off_quantity > line.quantity:
                errors[field] = [
                    _("%(sku)s: at most %(quantity)d units came back for this line.")
                    % {"sku": line.sku.code, "quantity": line.quantity}
                ]
            if result.restock_quantity:
                location = (
                    Location.objects.filter(pk=result.location_id, active=True).first()
                    if result.location_id is not None
                    else None
                )
                if location is None:
                    errors[f"{field}_location"] = [_("Choose the location to restock into.")]
                else:
                    locations[line_id] = location
            if result.write_off_quantity and not result.write_off_reason.strip():
                errors[f"{field}_write_off_reason"] = [_("Say why the units are written off.")]
        if errors:
            raise ReturnError(_("The inspection is not complete."), {"fields": errors})
        reference = request.number
        accepted: dict[ReturnLine, int] = {}
        for line_id, line in lines.items():
            result = by_line.get(line_id, LineInspection(line_id=line_id))
            if result.restock_quantity:
                stock_return(
                    sku=line.sku,
                    location=locations[line_id],
                    quantity=result.restock_quantity,
                    reference=reference,
                    by=by,
                )
            if result.write_off_quantity:
                stock_write_off(
                    sku=line.sku,
                    location=_write_off_location(locations, line_id),
                    quantity=result.write_off_quantity,
                    reason=result.write_off_reason.strip(),
                    reference=reference,
                    by=by,
                )
            line.restocked_quantity = result.restock_quantity
            line.restock_location = locations.get(line_id)
            line.written_off_quantity = result.write_off_quantity
            line.write_off_reason = result.write_off_reason.strip()
            line.inspection_note = result.note.strip()
            if line.accepted_quantity:
                accepted[line] = line.accepted_quantity
        ReturnLine.objects.bulk_update(
            lines.values(),
            [
                "restocked_quantity",
                "restock_location",
                "written_off_quantity",
                "write_off_reason",
                "inspection_note",
            ],
        )
        now = timezone.now()
        actor = acting_user(by)
        if not accepted:
            note = "; ".join(r.note.strip() for r in by_line.values() if r.note.strip())
            transition(
                request,
                "inspect_nothing_accepted",
                by=by,
                update_fields=["inspected_at", "inspected_by", "closed_at", "close_note"],
                at=now,
                user=actor,
                note=note or _("Nothing accepted at inspection."),
            )
            notify_users(
                users=_opener(request),
                title=_("Return %(number)s: nothing accepted at inspection")
                % {"number": request.number},
                body=note,
                url=request.get_absolute_url(),
                key=f"return-nothing-accepted-{request.pk}",
            )
        elif request.kind == ReturnKind.EXCHANGE:
            transition(
                request,
                "inspect_for_exchange",
                by=by,
                update_fields=["inspected_at", "inspected_by"],
                at=now,
                user=actor,
            )
            _replace(request, accepted)
        else:
            transition(
                request,
                "inspect_for_refund",
                by=by,
                update_fields=["inspected_at", "inspected_by"],
                at=now,
                user=actor,
            )
            _ask_finance(request, accepted)
    return request


def _write_off_location(locations: dict[int, Location], line_id: int) -> Location:
    """Written-off units are booked through the line's restock location, or the first
    location of the default warehouse when nothing on the line is restocked."""
    if line_id in locations:
        return locations[line_id]
    location = Location.objects.filter(active=True).order_by("warehouse_id", "walk_order").first()
    if location is None:
        raise ReturnError(_("The warehouse has no location in use to book the goods through."))
    return location


# --- Refund, red-letter invoice, replacement ------------------------------------------------


def _refund_items(accepted: dict[ReturnLine, int]) -> list[RefundItem]:
    """Each returned SKU at what the buyer paid for those units: the line's net amount (less
    its share of the order's discount) per unit (``net_value_of``)."""
    return [
        RefundItem(sku=line.sku, quantity=units, amount=net_value_of(line.order_line, units))
        for line, units in accepted.items()
    ]


def _ask_finance(request: ReturnRequest, accepted: dict[ReturnLine, int]) -> None:
    """Refund the accepted units and, where the order was invoiced, ask for the red-letter
    invoice of those units. Runs as the system: the approved and confirmed return is the
    authority, whoever pressed the last button."""
    items = _refund_items(accepted)
    amount = sum((item.amount for item in items), ZERO)
    with override("zh-hans"):
        reason = _("Return %(number)s (%(kind)s): %(reason)s") % {
            "number": request.number,
            "kind": request.get_kind_display(),
            "reason": request.get_reason_display(),
        }
    left = refundable_amount(request.order_id)
    note = ""
    if amount > left:
        # An on-account order not paid in full: refund what was paid; the rest is a
        # receivable that finance reduces with the red-letter invoice.
        note = _("%(amount)s due back but only %(left)s paid so far: %(left)s requested.") % {
            "amount": format_money(amount),
            "left": format_money(left),
        }
        amount = left
    if amount > 0:
        refund = refund_request(
            order_id=request.order_id,
            amount=amount,
            reason=reason,
            source=RefundSource.RETURN,
            source_reference=request.number,
            items=items,
            by=None,
        )
        request.refund_reference = refund.number
    request.close_note = note
    request.save(update_fields=["refund_reference", "close_note"])
    red_letter_request(
        order_id=request.order_id,
        items=[(line.sku_id, units) for line, units in accepted.items()],
        source_reference=request.number,
        note=reason,
    )
    if amount <= 0:
        _close(request, note=note or _("Nothing was paid: no refund to make."))


def replacement_channel() -> Channel:
    try:
        return Channel.objects.get(code=settings.RETURNS_REPLACEMENT_CHANNEL)
    except Channel.DoesNotExist:
        raise ReturnError(
            _("The after-sales channel %(code)s is missing: ask a manager to create it.")
            % {"code": settings.RETURNS_REPLACEMENT_CHANNEL}
        ) from None


def _customer_data(order: Order) -> dict[str, str]:
    """The customer as the master data has them now (corrected since the order, perhaps),
    so the replacement is identified automatically; as received when never identified."""
    customer = order.customer
    if customer is None:
        return dict(order.customer_data)
    return {key: getattr(customer, key) or "" for key in CUSTOMER_KEYS}


def _replace(request: ReturnRequest, accepted: dict[ReturnLine, int]) -> None:
    """The replacement goes out as an order on the after-sales channel, at no charge, and
    takes the normal way: identification, confirmation, delivery note, cutoff batch."""
    order = request.order
    with override("zh-hans"):
        note = _("Replacement for return %(number)s of order %(order)s") % {
            "number": request.number,
            "order": order.number,
        }
    payload = {
        "external_id": request.number,
        "placed_at": timezone.now().isoformat(),
        "paid_at": None,
        "customer": _customer_data(order),
        "shipping_address": {
            "name": order.receiver_name,
            "phone": order.receiver_phone,
            "province": order.ship_province,
            "city": order.ship_city,
            "district": order.ship_district,
            "street_address": order.ship_street,
            "postcode": order.ship_postcode,
        },
        "lines": [
            {"sku": line.sku.code, "quantity": units, "unit_price": "0.00"}
            for line, units in accepted.items()
        ],
        "needs_invoice": False,
        "buyer_note": note,
    }
    try:
        result = order_intake(
            channel=replacement_channel(), data=payload, source=OrderSource.MANUAL, by=None
        )
    except IntakeError as exc:
        problems = "; ".join(
            f"{field}: {' '.join(str(m) for m in messages)}"
            for field, messages in (exc.extra.get("fields") or {}).items()
        )
        raise ReturnError(
            _("The replacement order was not accepted: %(problems)s") % {"problems": problems}
        ) from exc
    request.replacement_order = result.order
    request.save(update_fields=["replacement_order"])
    notify_role(
        role=RoleCode.SALES_REP,
        title=_("Replacement order %(order)s for return %(number)s to confirm")
        % {"order": result.order.number, "number": request.number},
        url=result.order.get_absolute_url(),
        key=f"return-replacement-{request.pk}",
    )


def _close(request: ReturnRequest, *, note: str) -> None:
    transition(
        request,
        "close",
        by=None,
        update_fields=["closed_at", "close_note"],
        at=timezone.now(),
        note=note,
    )


# --- Closing -----------------------------------------------------------------------------------


def return_close(*, request_id: int, note: str, by: Any) -> ReturnRequest:
    """Close a request by hand (a refund finance turned down, a replacement sent otherwise)."""
    if not note.strip():
        raise ReturnError(
            _("Say why the request is closed."), {"fields": {"note": [_("Enter a note.")]}}
        )
    with transaction.atomic():
        request = _lock(request_id)
        transition(
            request,
            "close",
            by=by,
            reason=note,
            update_fields=["closed_at", "close_note"],
            at=timezone.now(),
            note=note.strip(),
        )
    return request


def return_withdraw(*, request_id: int, note: str, by: Any) -> ReturnRequest:
    """The customer withdrew the request (before the goods came back)."""
    if not note.strip():
        raise ReturnError(
            _("Say why the request is withdrawn."), {"fields": {"note": [_("Enter a note.")]}}
        )
    with transaction.atomic():
        request = _lock(request_id)
        now = timezone.now()
        was_in_review = request.state in REVIEW_STATES
        transition(
            request,
            "withdraw",
            by=by,
            reason=note,
            update_fields=["closed_at", "close_note"],
            at=now,
            note=note.strip(),
        )
        if was_in_review:
            sla_clock_stop(code=REVIEW_CLOCK, obj=request, stopped_at=now)
    return request


def return_refund_paid(*, refund_reference: str, return_number: str) -> ReturnRequest | None:
    """Finance paid the refund of a return: it is closed."""
    with transaction.atomic():
        request = (
            ReturnRequest.objects.select_for_update()
            .filter(number=return_number, state=ReturnState.REFUNDING)
            .first()
        )
        if request is None:
            return None
        with override("zh-hans"):
            note = _("Refund %(refund)s paid.") % {"refund": refund_reference}
        _close(request, note=note)
    return request


def return_refund_rejected(*, refund_reference: str, return_number: str, why: str) -> None:
    """Finance turned the refund down: the people who handled the return decide what next."""
    request = ReturnRequest.objects.filter(
        number=return_number, state=ReturnState.REFUNDING
    ).first()
    if request is None:
        return
    notify_users(
        users=_people(request.opened_by, request.approved_by),
        title=_("Refund %(refund)s of return %(number)s was rejected by finance")
        % {"refund": refund_reference, "number": request.number},
        body=why,
        url=request.get_absolute_url(),
        level="warning",
        key=f"return-refund-rejected-{request.pk}-{refund_reference}",
    )


def returns_replacement_shipped(*, order_ids: Sequence[int]) -> list[ReturnRequest]:
    """Replacement orders went out with the courier: their exchanges are closed."""
    closed = []
    with transaction.atomic():
        for request in ReturnRequest.objects.select_for_update().filter(
            replacement_order_id__in=list(order_ids), state=ReturnState.REPLACING
        ):
            with override("zh-hans"):
                note = _("Replacement order %(order)s shipped.") % {
                    "order": request.replacement_order.number
                }
            _close(request, note=note)
            closed.append(request)
    return closed


# --- The hourly chase --------------------------------------------------------------------------


def returns_chase(*, now: datetime | None = None) -> tuple[int, int]:
    """Confirmed returns still without goods: remind service once after
    RETURNS_GOODS_REMINDER_DAYS, close as expired after RETURNS_GOODS_EXPIRE_DAYS. A request
    whose parcel is on its way (waybill recorded) is neither chased nor expired.

    Returns (reminded, expired); running twice changes nothing the second time.
    """
    now = now or timezone.now()
    remind_before = now - timedelta(days=settings.RETURNS_GOODS_REMINDER_DAYS)
    expire_before = now - timedelta(days=settings.RETURNS_GOODS_EXPIRE_DAYS)
    reminded = expired = 0
    waiting = ReturnRequest.objects.filter(
        state=ReturnState.AWAITING_GOODS, return_waybill="", confirmed_at__isnull=False
    )
    for pk in list(waiting.filter(confirmed_at__lte=expire_before).values_list("pk", flat=True)):
        with transaction.atomic():
            request = (
                ReturnRequest.objects.select_for_update(skip_locked=True)
                .filter(pk=pk, state=ReturnState.AWAITING_GOODS, return_waybill="")
                .first()
            )
            if request is None:
                continue
            with override("zh-hans"):
                note = _("No goods within %(days)d days of confirmation.") % {
                    "days": settings.RETURNS_GOODS_EXPIRE_DAYS
                }
            transition(
                request,
                "expire",
                by=None,
                update_fields=["closed_at", "close_note"],
                at=now,
                note=note,
            )
            notify_users(
                users=_opener(request),
                title=_("Return %(number)s closed: no goods came back")
                % {"number": request.number},
                url=request.get_absolute_url(),
                key=f"return-expired-{request.pk}",
            )
            expired += 1
    due = waiting.filter(confirmed_at__lte=remind_before, goods_reminder_sent_at__isnull=True)
    for pk in list(due.values_list("pk", flat=True)):
        with transaction.atomic():
            request = (
                ReturnRequest.objects.select_for_update(skip_locked=True)
                .filter(
                    pk=pk,
                    state=ReturnState.AWAITING_GOODS,
                    goods_reminder_sent_at__isnull=True,
                )
                .first()
            )
            if request is None:
                continue
            request.goods_reminder_sent_at = now
            request.save(update_fields=["goods_reminder_sent_at"])
            notify_users(
                users=_opener(request),
                title=_("Return %(number)s: no goods yet after %(days)d days; remind the customer")
                % {"number": request.number, "days": settings.RETURNS_GOODS_REMINDER_DAYS},
                url=request.get_absolute_url(),
                level="warning",
                key=f"return-goods-reminder-{request.pk}",
            )
            reminded += 1
    return reminded, expired
