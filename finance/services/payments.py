"""Payments: channel notifications (idempotent on the reference) and bank transfers matched
to orders, one payment for several orders or several payments for one order."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, cast

from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from ecomops.accounts.selectors import acting_user
from ecomops.errors import ApplicationError, ConflictError
from ecomops.money import ZERO, format_money, to_money
from orders.models import Channel, Customer, Order, OrderState

from ..models import Payment, PaymentAllocation, PaymentMethod
from .common import require


class PaymentError(ApplicationError):
    """A payment that cannot be recorded or matched as asked."""


@dataclass(frozen=True)
class PaymentResult:
    payment: Payment
    created: bool


def order_paid_amount(order_id: int) -> Decimal:
    total = PaymentAllocation.objects.filter(order_id=order_id).aggregate(s=Sum("amount"))["s"]
    return to_money(total or ZERO)


@dataclass(frozen=True)
class PaymentNotification:
    """One payment of a channel's notification feed: what ``payment_notify`` takes."""

    reference: str
    order_external_id: str
    amount: Decimal
    paid_at: datetime
    payer_name: str = ""
    payload: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class PaymentOutcome:
    """What became of one notification of a feed, as ``payment_notify`` would answer it:
    the payment (``created`` or the earlier one again), or the refusal it would raise."""

    index: int
    reference: str
    payment: Payment | None = None
    created: bool = False
    error: ApplicationError | None = None

    @property
    def status(self) -> str:
        if isinstance(self.error, ConflictError):
            return "conflict"
        if self.error is not None:
            return "refused"
        return "created" if self.created else "repeated"


# Notifications handled per transaction: a fixed number of statements for each.
NOTIFY_CHUNK = 1000


def payment_notify(
    *,
    channel: Channel,
    reference: str,
    order_external_id: str,
    amount: Decimal,
    paid_at: datetime,
    payer_name: str = "",
    payload: Mapping[str, Any] | None = None,
) -> PaymentResult:
    """A channel says an order was paid. The same reference again changes nothing.

    The payment is matched to the order at once when the order is here; otherwise it is
    kept with the order number as sent and matched when the order arrives
    (``payments_match_waiting``), or shows as a payment without an order.
    A second notification with the same reference but a different amount is refused (409):
    the provider's reference names one transaction.
    """
    (outcome,) = payments_notify_many(
        channel=channel,
        notifications=[
            PaymentNotification(
                reference=reference,
                order_external_id=order_external_id,
                amount=amount,
                paid_at=paid_at,
                payer_name=payer_name,
                payload=payload,
            )
        ],
    )
    if outcome.error is not None:
        raise outcome.error
    return PaymentResult(cast(Payment, outcome.payment), outcome.created)


def payments_notify_many(
    *, channel: Channel, notifications: Sequence[PaymentNotification]
) -> list[PaymentOutcome]:
    """A channel's feed of payment notifications (a settlement file, a page of a
    connector): each one exactly as ``payment_notify`` treats it, in the order given, an
    outcome per notification. A refused notification keeps nothing and stops no other.

    Set-based: per ``NOTIFY_CHUNK`` notifications one read of the earlier payments, the
    orders locked in one statement (pk order), the payments and their matches inserted in
    bulk, whatever the number. The same reference twice in one feed is one payment, as it
    would be sent twice.
    """
    outcomes: list[PaymentOutcome] = []
    for start in range(0, len(notifications), NOTIFY_CHUNK):
        part = notifications[start : start + NOTIFY_CHUNK]
        try:
            outcomes.extend(_notify_chunk(channel, part, start))
        except IntegrityError:
            # A concurrent notification of one of these references won the insert: answer
            # again, now against the payment it recorded.
            outcomes.extend(_notify_chunk(channel, part, start))
    return outcomes


def _notify_chunk(
    channel: Channel, notifications: Sequence[PaymentNotification], offset: int
) -> list[PaymentOutcome]:
    known: dict[str, Payment] = {}
    for payment in Payment.objects.filter(
        method=PaymentMethod.CHANNEL,
        channel=channel,
        reference__in={n.reference for n in notifications},
    ):
        known.setdefault(payment.reference, payment)  # newest first, as .first() would
    wanted = {n.order_external_id for n in notifications if n.reference not in known}
    if not wanted:  # repeats only: nothing to lock or write
        return _decide(channel, notifications, offset, known, {})[0]
    with transaction.atomic():
        orders: dict[str, tuple[int, str, str]] = {}
        for pk, external_id, state, number in (
            Order.objects.select_for_update()
            .filter(channel=channel, external_id__in=wanted)
            .order_by("pk")
            .values_list("pk", "external_id", "state", "number")
        ):
            orders.setdefault(external_id, (pk, state, number))
        outcomes, new, matches = _decide(channel, notifications, offset, known, orders)
        # Inserted in reference order: two feeds sharing references wait for each other on
        # the unique index instead of deadlocking.
        Payment.objects.bulk_create(sorted(new, key=lambda p: p.reference), batch_size=NOTIFY_CHUNK)
        PaymentAllocation.objects.bulk_create(matches, batch_size=NOTIFY_CHUNK)
    return outcomes


def _decide(
    channel: Channel,
    notifications: Sequence[PaymentNotification],
    offset: int,
    known: dict[str, Payment],
    orders: Mapping[str, tuple[int, str, str]],
) -> tuple[list[PaymentOutcome], list[Payment], list[PaymentAllocation]]:
    """Each notification's outcome against the earlier payments (``known``, by reference)
    and the locked orders (``orders``: pk, state, number by external id); the payments and
    matches to write."""
    scope = Payment.scope_for(PaymentMethod.CHANNEL, channel)
    outcomes: list[PaymentOutcome] = []
    new: list[Payment] = []
    matches: list[PaymentAllocation] = []
    for index, notification in enumerate(notifications, start=offset):
        reference = notification.reference
        amount = to_money(notification.amount)
        earlier = known.get(reference)
        if earlier is not None:
            try:
                same = _same_payment(earlier, amount, notification.order_external_id)
            except ConflictError as exc:
                outcomes.append(PaymentOutcome(index, reference, error=exc))
            else:
                outcomes.append(PaymentOutcome(index, reference, same.payment))
            continue
        if amount <= 0:
            error = PaymentError(
                _("A payment is more than zero."), {"fields": {"amount": [_("Enter an amount.")]}}
            )
            outcomes.append(PaymentOutcome(index, reference, error=error))
            continue
        order = orders.get(notification.order_external_id)
        if order is not None and order[1] == OrderState.CANCELLED:
            outcomes.append(PaymentOutcome(index, reference, error=_cancelled(order[2])))
            continue
        payment = Payment(
            reference=reference,
            reference_scope=scope,
            method=PaymentMethod.CHANNEL,
            channel=channel,
            order_external_id=notification.order_external_id,
            amount=amount,
            # A notification pays its order in full: matched as it is recorded.
            allocated_amount=amount if order is not None else ZERO,
            paid_at=notification.paid_at,
            payer_name=notification.payer_name,
            payload=dict(notification.payload or {}),
        )
        new.append(payment)
        if order is not None:
            matches.append(PaymentAllocation(payment=payment, order_id=order[0], amount=amount))
        known[reference] = payment  # the same reference later in the feed is a repeat
        outcomes.append(PaymentOutcome(index, reference, payment, created=True))
    return outcomes, new, matches


def _same_payment(existing: Payment, amount: Decimal, order_external_id: str) -> PaymentResult:
    if existing.amount != amount or existing.order_external_id != order_external_id:
        raise ConflictError(
            _(
                "Payment %(reference)s was already notified for order %(order)s, %(amount)s; "
                "a payment reference cannot change."
            )
            % {
                "reference": existing.reference,
                "order": existing.order_external_id,
                "amount": format_money(existing.amount),
            },
            {"fields": {"reference": [_("Already used for another payment.")]}},
        )
    return PaymentResult(existing, False)


def payments_match_waiting(*, channel_id: int | None = None) -> int:
    """Match channel payments that arrived before their order, now that it is here."""
    waiting = Payment.objects.filter(
        method=PaymentMethod.CHANNEL, allocated_amount=ZERO, channel__isnull=False
    ).exclude(order_external_id="")
    if channel_id is not None:
        waiting = waiting.filter(channel_id=channel_id)
    matched = 0
    for payment_id, channel, external_id in waiting.values_list(
        "pk", "channel_id", "order_external_id"
    ):
        with transaction.atomic():
            payment = Payment.objects.select_for_update().get(pk=payment_id)
            order = (
                Order.objects.select_for_update()
                .filter(channel_id=channel, external_id=external_id)
                .first()
            )
            if order is None or payment.allocated_amount:
                continue
            _allocate(payment, order, payment.amount, by=None)
            matched += 1
    return matched


def bank_payment_record(
    *,
    reference: str,
    amount: Decimal,
    paid_at: datetime,
    payer_name: str,
    customer: Customer | None = None,
    note: str = "",
    by: Any,
) -> Payment:
    """Key in a bank transfer from the statement (on-account customers); match it later."""
    require(by, "finance.match_payment")
    amount = to_money(amount)
    if amount <= 0:
        raise PaymentError(
            _("A payment is more than zero."), {"fields": {"amount": [_("Enter an amount.")]}}
        )
    if paid_at > timezone.now():
        raise PaymentError(
            _("A payment cannot be dated in the future."),
            {"fields": {"paid_at": [_("Enter the date on the bank statement.")]}},
        )
    if Payment.objects.filter(reference_scope="bank", reference=reference).exists():
        raise PaymentError(
            _("Bank payment %(reference)s is already recorded.") % {"reference": reference},
            {"fields": {"reference": [_("This bank serial number is already recorded.")]}},
        )
    return Payment.objects.create(
        reference=reference,
        method=PaymentMethod.BANK_TRANSFER,
        amount=amount,
        paid_at=paid_at,
        payer_name=payer_name,
        customer=customer,
        note=note,
        recorded_by=acting_user(by),
    )


def payment_match(
    *, payment_id: int, allocations: Mapping[int, Decimal], by: Any
) -> list[PaymentAllocation]:
    """Match (part of) a payment to orders: ``{order_id: amount}``.

    Refused, with nothing kept, when the amounts exceed what is left of the payment or
    what an order still owes, or an order is cancelled.
    """
    require(by, "finance.match_payment")
    if not allocations:
        raise PaymentError(
            _("Choose at least one order."), {"fields": {"orders": [_("Choose an order.")]}}
        )
    with transaction.atomic():
        payment = Payment.objects.select_for_update().get(pk=payment_id)
        wanted = {order_id: to_money(amount) for order_id, amount in allocations.items()}
        if any(amount <= 0 for amount in wanted.values()):
            raise PaymentError(
                _("Each matched amount is more than zero."),
                {"fields": {"amounts": [_("Enter an amount above zero.")]}},
            )
        total = sum(wanted.values(), ZERO)
        if total > payment.unallocated_amount:
            raise PaymentError(
                _("%(total)s is more than the %(left)s left of this payment.")
                % {"total": format_money(total), "left": format_money(payment.unallocated_amount)},
                {"fields": {"amounts": [_("Lower the amounts.")]}},
            )
        orders = Order.objects.select_for_update().in_bulk(sorted(wanted))
        result = []
        for order_id in sorted(wanted):
            order = orders.get(order_id)
            if order is None:
                raise PaymentError(
                    _("Order %(id)s does not exist.") % {"id": order_id},
                    {"fields": {"orders": [_("Unknown order.")]}},
                )
            result.append(_allocate(payment, order, wanted[order_id], by=by))
    return result


def _cancelled(number: str) -> PaymentError:
    return PaymentError(
        _("Order %(number)s is cancelled; it takes no payment.") % {"number": number},
        {"fields": {"orders": [_("Cancelled order.")]}},
    )


def _allocate(payment: Payment, order: Order, amount: Decimal, *, by: Any) -> PaymentAllocation:
    """Match ``amount`` of the (locked) payment to the (locked) order."""
    if order.state == OrderState.CANCELLED:
        raise _cancelled(order.number)
    if by is not None:
        outstanding = order.total_amount - order_paid_amount(order.pk)
        if amount > outstanding:
            raise PaymentError(
                _("Order %(number)s owes only %(owed)s.")
                % {"number": order.number, "owed": format_money(outstanding)},
                {"fields": {"amounts": [_("More than the order owes.")]}},
            )
    allocation, created = PaymentAllocation.objects.get_or_create(
        payment=payment, order=order, defaults={"amount": amount, "matched_by": acting_user(by)}
    )
    if not created:
        allocation.amount = F("amount") + amount
        allocation.save(update_fields=["amount"])
        allocation.refresh_from_db()
    Payment.objects.filter(pk=payment.pk).update(allocated_amount=F("allocated_amount") + amount)
    payment.refresh_from_db(fields=["allocated_amount"])
    return allocation
