"""Refunds: requested (from an approved return, or by a manager with a reason) → approved →
paid with the reference; the live refunds of an order never exceed what was paid for it,
nor what the buyer was charged (``Order.paid_amount``, or the total of an on-account
order), and those of a SKU never exceed its lines' net amounts (less the discount share)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from ecomops.accounts.roles import RoleCode
from ecomops.accounts.selectors import acting_user
from ecomops.errors import ApplicationError
from ecomops.fsm import transition
from ecomops.money import ZERO, format_money, to_money
from ecomops.notifications.services import notify_role
from ecomops.numbering.services import next_number
from listings.models import Sku
from orders.models import Order, OrderLine

from ..models import LIVE_REFUND_STATES, Refund, RefundLine, RefundSource
from ..signals import refund_paid, refund_rejected
from .common import require
from .payments import order_paid_amount


class RefundError(ApplicationError):
    """A refund that cannot be made as asked."""


@dataclass(frozen=True)
class RefundItem:
    """Returned units of one SKU and what is paid back for them."""

    sku: Sku
    quantity: int
    amount: Decimal


def order_refunded_amount(order_id: int, *, exclude_pk: int | None = None) -> Decimal:
    """Requested, approved and paid refunds of an order (rejected ones do not count)."""
    refunds = Refund.objects.filter(order_id=order_id, state__in=LIVE_REFUND_STATES)
    if exclude_pk is not None:
        refunds = refunds.exclude(pk=exclude_pk)
    return to_money(refunds.aggregate(s=Sum("amount"))["s"] or ZERO)


def charged_amount(order: Order) -> Decimal:
    """What the buyer pays for the order: the amount paid on the platform (less than the
    total when the platform funded a voucher), or the total of an on-account order, which
    is paid later by transfer."""
    return order.paid_amount if order.paid_at is not None else order.total_amount


def _refund_cap(order: Order) -> Decimal:
    return min(order_paid_amount(order.pk), charged_amount(order))


def refundable_amount(order_id: int) -> Decimal:
    order = Order.objects.get(pk=order_id)
    return max(_refund_cap(order) - order_refunded_amount(order_id), ZERO)


def _check_line_caps(order: Order, items: Sequence[RefundItem]) -> None:
    """The refunds of a SKU stay within what its lines cost the buyer net of the discount."""
    wanted: dict[int, Decimal] = {}
    for item in items:
        wanted[item.sku.pk] = wanted.get(item.sku.pk, ZERO) + to_money(item.amount)
    if not wanted:
        return
    net = {
        row["sku_id"]: to_money(row["net"])
        for row in OrderLine.objects.filter(order=order, sku_id__in=wanted)
        .values("sku_id")
        .annotate(net=Sum(F("amount") - F("discount_share")))
    }
    refunded = {
        row["sku__id"]: to_money(row["s"])
        for row in RefundLine.objects.filter(
            refund__order=order, refund__state__in=LIVE_REFUND_STATES, sku_id__in=wanted
        )
        .values("sku__id")
        .annotate(s=Sum("amount"))
    }
    for item in items:
        sku_id = item.sku.pk
        left = net.get(sku_id, ZERO) - refunded.get(sku_id, ZERO)
        if wanted[sku_id] > left:
            raise RefundError(
                _(
                    "%(sku)s cost the buyer %(net)s on order %(number)s after the discount: "
                    "at most %(left)s can be refunded for it."
                )
                % {
                    "sku": item.sku.code,
                    "net": format_money(net.get(sku_id, ZERO)),
                    "number": order.number,
                    "left": format_money(max(left, ZERO)),
                },
                {"fields": {"amount": [_("More than the line's net amount.")]}},
            )


def _check_cap(order: Order, amount: Decimal, *, exclude_pk: int | None = None) -> None:
    paid = _refund_cap(order)
    refunded = order_refunded_amount(order.pk, exclude_pk=exclude_pk)
    if refunded + amount > paid:
        raise RefundError(
            _(
                "Order %(number)s was paid %(paid)s and %(refunded)s is already refunded or "
                "requested: at most %(left)s can be refunded."
            )
            % {
                "number": order.number,
                "paid": format_money(paid),
                "refunded": format_money(refunded),
                "left": format_money(max(paid - refunded, ZERO)),
            },
            {"fields": {"amount": [_("More than is left to refund.")]}},
        )


def refund_request(
    *,
    order_id: int,
    amount: Decimal,
    reason: str,
    source: str = RefundSource.MANAGER,
    source_reference: str = "",
    items: Sequence[RefundItem] = (),
    by: Any,
) -> Refund:
    """Ask finance to refund ``amount`` of an order.

    A manager's refund needs a reason; one from a return names the return request in
    ``source_reference`` and lists the returned ``items``. Refused, with nothing kept,
    when the order's live refunds would exceed what was paid for it.
    """
    if source == RefundSource.MANAGER:
        require(by, "finance.approve_refund")
    else:
        require(by, "finance.request_refund")
    amount = to_money(amount)
    if amount <= 0:
        raise RefundError(
            _("A refund is more than zero."), {"fields": {"amount": [_("Enter an amount.")]}}
        )
    if not reason.strip():
        raise RefundError(
            _("Say why the money goes back."), {"fields": {"reason": [_("Enter a reason.")]}}
        )
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order_id)
        _check_cap(order, amount)
        _check_line_caps(order, items)
        if (
            source_reference
            and Refund.objects.filter(
                order=order, source_reference=source_reference, state__in=LIVE_REFUND_STATES
            ).exists()
        ):
            return Refund.objects.get(
                order=order, source_reference=source_reference, state__in=LIVE_REFUND_STATES
            )
        refund = Refund.objects.create(
            number=next_number("RF"),
            order=order,
            source=source,
            source_reference=source_reference,
            amount=amount,
            reason=reason.strip(),
            requested_at=timezone.now(),
            requested_by=acting_user(by),
        )
        RefundLine.objects.bulk_create(
            RefundLine(refund=refund, sku=i.sku, quantity=i.quantity, amount=to_money(i.amount))
            for i in items
        )
        notify_role(
            role=RoleCode.MANAGER,
            title=_("Refund %(number)s of %(amount)s for order %(order)s to approve")
            % {"number": refund.number, "amount": format_money(amount), "order": order.number},
            body=reason,
            url=refund.get_absolute_url(),
            key=f"refund-requested-{refund.pk}",
        )
    return refund


def refund_approve(*, refund_id: int, by: Any) -> Refund:
    with transaction.atomic():
        refund = Refund.objects.select_for_update().get(pk=refund_id)
        order = Order.objects.select_for_update().get(pk=refund.order_id)
        _check_cap(order, refund.amount, exclude_pk=refund.pk)
        transition(refund, "approve", by=by, update_fields=["approved_at"], at=timezone.now())
        notify_role(
            role=RoleCode.FINANCE_CLERK,
            title=_("Refund %(number)s of %(amount)s approved: pay it")
            % {"number": refund.number, "amount": format_money(refund.amount)},
            body=refund.reason,
            url=refund.get_absolute_url(),
            key=f"refund-approved-{refund.pk}",
        )
    return refund


def refund_pay(*, refund_id: int, reference: str, by: Any) -> Refund:
    """The money went back: record the payment reference (bank or provider)."""
    if not reference.strip():
        raise RefundError(
            _("Enter the reference of the refund payment."),
            {"fields": {"reference": [_("Enter the payment reference.")]}},
        )
    with transaction.atomic():
        refund = Refund.objects.select_for_update().get(pk=refund_id)
        order = Order.objects.select_for_update().get(pk=refund.order_id)
        _check_cap(order, refund.amount, exclude_pk=refund.pk)
        transition(
            refund,
            "pay",
            by=by,
            update_fields=["paid_at", "paid_reference"],
            at=timezone.now(),
            reference=reference.strip(),
        )
        transaction.on_commit(lambda: refund_paid.send(sender=Refund, refund=refund))
    return refund


def refund_reject(*, refund_id: int, why: str, by: Any) -> Refund:
    if not why.strip():
        raise RefundError(
            _("Say why the refund is rejected."), {"fields": {"reason": [_("Enter a reason.")]}}
        )
    with transaction.atomic():
        refund = Refund.objects.select_for_update().get(pk=refund_id)
        transition(
            refund,
            "reject",
            by=by,
            reason=why,
            update_fields=["rejected_at", "rejection_reason"],
            at=timezone.now(),
            why=why.strip(),
        )
        transaction.on_commit(lambda: refund_rejected.send(sender=Refund, refund=refund))
    return refund
