"""Group-buying remittances (回款): distribution says what a site owes for a deal, by when and
for which orders; finance records what comes in.

- The site may pay in parts: each transfer is a ``RemittanceReceipt`` with its own bank
  payment (date, amount, bank serial number).
- It may keep back its commission or fees: each difference is a ``RemittanceDifference``
  with a reason, accepted at once within the tolerance of the site's ``CreditTerms``,
  otherwise held until finance accepts it (with a reason) or rejects it (the site still owes).
- Settled (received + accepted differences = expected, to the fen), the remittance is
  allocated to its orders: every receipt and every accepted difference (booked as a
  deduction payment) is shared over the orders in proportion to what each still owes,
  largest remainder to the fen, ties to the earlier order. A part receipt allocates
  nothing: the orders stay open until the whole remittance is accounted for, and the
  money received so far shows as received, not yet allocated.

A remittance not settled by the end of its due date is a mismatch in the nightly
reconciliation.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from ecomops.accounts.selectors import acting_user
from ecomops.errors import ApplicationError, ConflictError
from ecomops.fsm import transition
from ecomops.money import ZERO, allocate_proportionally, format_money, summed_money, to_money
from orders.models import Channel, Customer, Order, OrderState

from ..models import (
    CreditTerms,
    Payment,
    PaymentAllocation,
    PaymentMethod,
    Remittance,
    RemittanceDifference,
    RemittanceDifferenceKind,
    RemittanceDifferenceState,
    RemittanceOrder,
    RemittanceReceipt,
)
from ..signals import remittance_received
from .common import require

# The issuer of a deduction's reference: not the bank, the remittance itself.
DEDUCTION_SCOPE = "remittance-deduction"


class RemittanceError(ApplicationError):
    """A remittance that cannot be recorded as asked."""


def remittance_expect(
    *,
    reference: str,
    channel: Channel,
    amount: Decimal,
    due_date: date,
    description: str = "",
    order_ids: Sequence[int] | None = None,
) -> Remittance:
    """What a group-buying site owes for a deal, by when, and for which orders; the same
    reference again updates it while nothing has come in (``order_ids=None`` keeps the
    orders named before)."""
    amount = to_money(amount)
    if amount <= 0:
        raise RemittanceError(
            _("A remittance is more than zero."), {"fields": {"amount": [_("Enter an amount.")]}}
        )
    with transaction.atomic():
        remittance, created = Remittance.objects.select_for_update().get_or_create(
            reference=reference,
            defaults={
                "channel": channel,
                "amount_expected": amount,
                "due_date": due_date,
                "description": description,
            },
        )
        if not created:
            if (
                remittance.received_at is not None
                or remittance.receipts.exists()
                or remittance.differences.exists()
            ):
                raise ConflictError(
                    _("Remittance %(reference)s has already come in.") % {"reference": reference}
                )
            remittance.channel = channel
            remittance.amount_expected = amount
            remittance.due_date = due_date
            remittance.description = description
            remittance.save()
        if order_ids is not None:
            wanted = set(order_ids)
            remittance.order_links.exclude(order_id__in=wanted).delete()
            RemittanceOrder.objects.bulk_create(
                [RemittanceOrder(remittance=remittance, order_id=pk) for pk in sorted(wanted)],
                ignore_conflicts=True,
            )
    return remittance


def _lock(remittance_id: int) -> Remittance:
    return Remittance.objects.select_for_update().select_related("channel").get(pk=remittance_id)


def _still_open(remittance: Remittance) -> Decimal:
    """What may still be received or kept back: neither received, accepted nor held."""
    held = summed_money(
        remittance.differences.filter(state=RemittanceDifferenceState.HELD).aggregate(
            s=Sum("amount")
        )["s"]
    )
    return remittance.amount_open - held


def _refuse_when_settled(remittance: Remittance) -> None:
    if remittance.received_at is not None:
        raise ConflictError(
            _("Remittance %(reference)s is settled already.") % {"reference": remittance.reference}
        )


def remittance_receive(
    *,
    remittance_id: int,
    bank_reference: str,
    amount: Decimal,
    paid_at: datetime,
    by: Any,
    fee_amount: Decimal | None = None,
    fee_kind: str = RemittanceDifferenceKind.COMMISSION,
    fee_reason: str = "",
) -> Remittance:
    """Record one transfer of the site (all it owes, or a part), and with it what the site
    kept back, if it says so (``fee_amount`` with ``fee_reason``). The same bank serial
    number with the same amount again changes nothing."""
    require(by, "finance.match_payment")
    amount = to_money(amount)
    fee = to_money(fee_amount) if fee_amount else ZERO
    bank_reference = (bank_reference or "").strip()
    if not bank_reference:
        raise RemittanceError(
            _("Enter the bank's serial number."),
            {"fields": {"bank_reference": [_("Enter the bank's serial number.")]}},
        )
    if amount <= 0:
        raise RemittanceError(
            _("A receipt is more than zero."), {"fields": {"amount": [_("Enter an amount.")]}}
        )
    if fee < 0:
        raise RemittanceError(
            _("What the site kept back is not negative."),
            {"fields": {"fee_amount": [_("Enter an amount of zero or more.")]}},
        )
    with transaction.atomic():
        remittance = _lock(remittance_id)
        earlier = (
            RemittanceReceipt.objects.filter(
                remittance=remittance,
                payment__reference_scope="bank",
                payment__reference=bank_reference,
            )
            .select_related("payment")
            .first()
        )
        if earlier is not None and earlier.payment.amount == amount:
            return remittance
        _refuse_when_settled(remittance)
        if Payment.objects.filter(reference_scope="bank", reference=bank_reference).exists():
            raise RemittanceError(
                _("Bank serial number %(reference)s is already recorded.")
                % {"reference": bank_reference},
                {"fields": {"bank_reference": [_("This bank serial number is already recorded.")]}},
            )
        left = _still_open(remittance)
        if amount + fee > left:
            raise RemittanceError(
                _(
                    "%(reference)s is owed only %(left)s more; %(amount)s is too much. Record "
                    "money beyond it as a bank payment."
                )
                % {
                    "reference": remittance.reference,
                    "left": format_money(left),
                    "amount": format_money(amount + fee),
                },
                {"fields": {"amount": [_("More than is still owed.")]}},
            )
        payment = Payment.objects.create(
            reference=bank_reference,
            method=PaymentMethod.REMITTANCE,
            channel=remittance.channel,
            amount=amount,
            paid_at=paid_at,
            payer_name=remittance.channel.name,
            note=remittance.reference,
            recorded_by=acting_user(by),
        )
        RemittanceReceipt.objects.create(
            remittance=remittance, payment=payment, recorded_by=acting_user(by)
        )
        remittance.amount_received += amount
        remittance.save(update_fields=["amount_received"])
        if fee:
            _book_difference(remittance, amount=fee, kind=fee_kind, reason=fee_reason, by=by)
        _settle_if_complete(remittance, by=by)
    return remittance


def remittance_book_difference(
    *, remittance_id: int, amount: Decimal, kind: str, reason: str, by: Any
) -> RemittanceDifference:
    """Book what the site kept back (commission, fees) with a reason: accepted at once
    within the site's tolerance, otherwise held for finance."""
    require(by, "finance.match_payment")
    with transaction.atomic():
        remittance = _lock(remittance_id)
        _refuse_when_settled(remittance)
        difference = _book_difference(
            remittance, amount=to_money(amount), kind=kind, reason=reason, by=by
        )
        _settle_if_complete(remittance, by=by)
    return difference


def remittance_fee_tolerance(remittance: Remittance) -> Decimal:
    """How much the site may keep back of this remittance without review."""
    terms = CreditTerms.objects.filter(channel_id=remittance.channel_id).first()
    return terms.fee_tolerance(remittance.amount_expected) if terms is not None else ZERO


def _book_difference(
    remittance: Remittance, *, amount: Decimal, kind: str, reason: str, by: Any
) -> RemittanceDifference:
    reason = (reason or "").strip()
    if amount <= 0:
        raise RemittanceError(
            _("What the site kept back is more than zero."),
            {"fields": {"amount": [_("Enter an amount.")], "fee_amount": [_("Enter an amount.")]}},
        )
    if kind not in RemittanceDifferenceKind.values:
        raise RemittanceError(
            _("Choose what the site kept back."), {"fields": {"kind": [_("Choose a kind.")]}}
        )
    if not reason:
        raise RemittanceError(
            _("Give the reason the site kept money back (e.g. its commission rate)."),
            {"fields": {"reason": [_("Give a reason.")], "fee_reason": [_("Give a reason.")]}},
        )
    left = _still_open(remittance)
    if amount > left:
        raise RemittanceError(
            _("%(reference)s is owed only %(left)s more; %(amount)s is too much.")
            % {
                "reference": remittance.reference,
                "left": format_money(left),
                "amount": format_money(amount),
            },
            {"fields": {"amount": [_("More than is still owed.")]}},
        )
    within = remittance.amount_deducted + amount <= remittance_fee_tolerance(remittance)
    now = timezone.now()
    difference = RemittanceDifference.objects.create(
        remittance=remittance,
        kind=kind,
        amount=amount,
        reason=reason,
        state=RemittanceDifferenceState.ACCEPTED if within else RemittanceDifferenceState.HELD,
        automatic=within,
        booked_by=acting_user(by),
        booked_at=now,
        decided_at=now if within else None,
        payment=_deduction(remittance, amount, kind, by=by) if within else None,
    )
    if within:
        remittance.amount_deducted += amount
        remittance.save(update_fields=["amount_deducted"])
    return difference


def _deduction(remittance: Remittance, amount: Decimal, kind: str, *, by: Any) -> Payment:
    """What the site kept back, booked as a payment that settles the orders' share of it
    (it is never money in the bank: its reference is the remittance's, not the bank's)."""
    prefix = f"{remittance.reference[:56]}-D"
    number = (
        Payment.objects.filter(
            reference_scope=DEDUCTION_SCOPE, reference__startswith=prefix
        ).count()
        + 1
    )
    labels = dict(RemittanceDifferenceKind.choices)
    return Payment.objects.create(
        reference=f"{prefix}{number}",
        reference_scope=DEDUCTION_SCOPE,
        method=PaymentMethod.REMITTANCE,
        channel=remittance.channel,
        amount=amount,
        paid_at=timezone.now(),
        payer_name=remittance.channel.name,
        note=_("Kept back by the site: %(kind)s") % {"kind": labels.get(kind, kind)},
        recorded_by=acting_user(by),
    )


def remittance_difference_accept(
    *, difference_id: int, reason: str, by: Any
) -> RemittanceDifference:
    """Finance accepts a difference held beyond the tolerance, with a reason."""
    return _decide(difference_id=difference_id, reason=reason, by=by, accept=True)


def remittance_difference_reject(
    *, difference_id: int, reason: str, by: Any
) -> RemittanceDifference:
    """Finance rejects a held difference, with a reason: the site still owes the amount."""
    return _decide(difference_id=difference_id, reason=reason, by=by, accept=False)


def _decide(*, difference_id: int, reason: str, by: Any, accept: bool) -> RemittanceDifference:
    require(by, "finance.accept_remittance_difference")
    reason = (reason or "").strip()
    if not reason:
        raise RemittanceError(_("Give a reason."), {"fields": {"reason": [_("Give a reason.")]}})
    with transaction.atomic():
        remittance_id = RemittanceDifference.objects.values_list("remittance_id", flat=True).get(
            pk=difference_id
        )
        remittance = _lock(remittance_id)
        difference = RemittanceDifference.objects.select_for_update().get(pk=difference_id)
        target = (
            RemittanceDifferenceState.ACCEPTED if accept else RemittanceDifferenceState.REJECTED
        )
        if difference.state == target:
            return difference
        now = timezone.now()
        if accept:
            transition(
                difference,
                "accept",
                by=by,
                reason=reason,
                at=now,
                user=acting_user(by),
                why=reason,
                payment=_deduction(remittance, difference.amount, difference.kind, by=by),
                update_fields=["decided_at", "decided_by", "decision_reason", "payment"],
            )
            remittance.amount_deducted += difference.amount
            remittance.save(update_fields=["amount_deducted"])
            _settle_if_complete(remittance, by=by)
        else:
            transition(
                difference,
                "reject",
                by=by,
                reason=reason,
                at=now,
                user=acting_user(by),
                why=reason,
                update_fields=["decided_at", "decided_by", "decision_reason"],
            )
    return difference


def _settle_if_complete(remittance: Remittance, *, by: Any) -> None:
    """Received and accepted differences make up what was owed: allocate, mark settled."""
    if remittance.received_at is not None or remittance.amount_open != ZERO:
        return
    payments = list(
        Payment.objects.filter(remittance_receipt__remittance=remittance).order_by("paid_at", "pk")
    ) + list(
        Payment.objects.filter(
            remittance_difference__remittance=remittance,
            remittance_difference__state=RemittanceDifferenceState.ACCEPTED,
        ).order_by("paid_at", "pk")
    )
    allocate_remittance(remittance, payments, by=by)
    remittance.received_at = max(p.paid_at for p in payments)
    remittance.save(update_fields=["received_at"])
    transaction.on_commit(
        lambda: remittance_received.send(sender=Remittance, remittance=remittance)
    )


def remittance_targets(remittance: Remittance, owed: dict[int, Decimal]) -> dict[int, Decimal]:
    """How much of the remittance goes to each order: what it still owes when the
    remittance covers it all, else the amount expected shared in proportion to what each
    owes (largest remainder to the fen, ties to the earlier order)."""
    order_ids = sorted(pk for pk, amount in owed.items() if amount > 0)
    total = sum((owed[pk] for pk in order_ids), ZERO)
    if total <= remittance.amount_expected:
        return {pk: owed[pk] for pk in order_ids}
    shares = allocate_proportionally(remittance.amount_expected, [owed[pk] for pk in order_ids])
    return dict(zip(order_ids, shares, strict=True))


def allocate_remittance(
    remittance: Remittance, payments: Sequence[Payment], *, by: Any
) -> list[PaymentAllocation]:
    """Share each payment over the remittance's orders in proportion to what each still has
    to get, so every order bears its part of what the site kept back; the last payments
    take exactly what is left. Money beyond what the orders owe stays unallocated."""
    order_ids = list(remittance.order_links.order_by("order_id").values_list("order_id", flat=True))
    # Lock the orders (by pk, like every other payment match) so bank matching cannot pay
    # them at the same moment.
    orders = list(
        Order.objects.select_for_update()
        .filter(pk__in=order_ids)
        .exclude(state=OrderState.CANCELLED)
        .order_by("pk")
    )
    paid = dict(
        PaymentAllocation.objects.filter(order__in=orders)
        .values("order_id")
        .annotate(s=Sum("amount"))
        .values_list("order_id", "s")
    )
    owed = {o.pk: o.total_amount - summed_money(paid.get(o.pk)) for o in orders}
    remaining = remittance_targets(remittance, owed)
    actor = acting_user(by)
    now = timezone.now()
    rows: list[PaymentAllocation] = []
    for payment in payments:
        left = sum(remaining.values(), ZERO)
        share_total = min(payment.unallocated_amount, left)
        if share_total <= 0:
            continue
        ids = [pk for pk, amount in remaining.items() if amount > 0]
        shares = allocate_proportionally(share_total, [remaining[pk] for pk in ids])
        placed = ZERO
        for pk, share in zip(ids, shares, strict=True):
            if share <= 0:
                continue
            rows.append(
                PaymentAllocation(
                    payment=payment, order_id=pk, amount=share, matched_by=actor, matched_at=now
                )
            )
            remaining[pk] -= share
            placed += share
        payment.allocated_amount += placed
        payment.save(update_fields=["allocated_amount"])
    return PaymentAllocation.objects.bulk_create(rows, batch_size=500)


def credit_terms_set(
    *,
    days: int,
    channel: Channel | None = None,
    customer: Customer | None = None,
    fee_tolerance_percent: Decimal = ZERO,
    fee_tolerance_amount: Decimal | None = None,
    note: str = "",
) -> CreditTerms:
    """Set the payment terms (账期) of a channel or of one customer (exactly one)."""
    if (channel is None) == (customer is None):
        raise RemittanceError(_("Payment terms are for a channel or for a customer."))
    terms, _created = CreditTerms.objects.update_or_create(
        channel=channel,
        customer=customer,
        defaults={
            "days": days,
            "fee_tolerance_percent": fee_tolerance_percent,
            "fee_tolerance_amount": fee_tolerance_amount,
            "note": note,
        },
    )
    return terms
