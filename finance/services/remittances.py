"""Group-buying remittances: distribution says what a site owes for a deal and by when;
finance records it when it comes in. One still missing after its due date is a mismatch in
the nightly reconciliation."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from ecomops.accounts.selectors import acting_user
from ecomops.errors import ApplicationError, ConflictError
from ecomops.money import format_money, to_money
from orders.models import Channel

from ..models import Payment, PaymentMethod, Remittance
from ..signals import remittance_received
from .common import require


class RemittanceError(ApplicationError):
    """A remittance that cannot be recorded as asked."""


def remittance_expect(
    *, reference: str, channel: Channel, amount: Decimal, due_date: date, description: str = ""
) -> Remittance:
    """What a group-buying site owes for a deal; the same reference again updates it while
    nothing has come in."""
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
            if remittance.received_at is not None:
                raise ConflictError(
                    _("Remittance %(reference)s has already come in.") % {"reference": reference}
                )
            remittance.channel = channel
            remittance.amount_expected = amount
            remittance.due_date = due_date
            remittance.description = description
            remittance.save()
    return remittance


def remittance_receive(
    *, remittance_id: int, bank_reference: str, amount: Decimal, paid_at: datetime, by: Any
) -> Remittance:
    """Record the site's transfer against what it owed (a different amount is refused)."""
    require(by, "finance.match_payment")
    amount = to_money(amount)
    with transaction.atomic():
        remittance = Remittance.objects.select_for_update().get(pk=remittance_id)
        if remittance.received_at is not None:
            return remittance
        if amount != remittance.amount_expected:
            raise RemittanceError(
                _("%(reference)s owes %(expected)s, not %(amount)s.")
                % {
                    "reference": remittance.reference,
                    "expected": format_money(remittance.amount_expected),
                    "amount": format_money(amount),
                },
                {"fields": {"amount": [_("Not the amount owed.")]}},
            )
        if not bank_reference.strip():
            raise RemittanceError(
                _("Enter the bank's serial number."),
                {"fields": {"bank_reference": [_("Enter the bank's serial number.")]}},
            )
        bank_reference = bank_reference.strip()
        if Payment.objects.filter(reference_scope="bank", reference=bank_reference).exists():
            raise RemittanceError(
                _("Bank serial number %(reference)s is already recorded.")
                % {"reference": bank_reference},
                {"fields": {"bank_reference": [_("This bank serial number is already recorded.")]}},
            )
        payment = Payment.objects.create(
            reference=bank_reference.strip(),
            method=PaymentMethod.REMITTANCE,
            channel=remittance.channel,
            amount=amount,
            paid_at=paid_at,
            payer_name=remittance.channel.name,
            note=remittance.reference,
            recorded_by=acting_user(by),
        )
        remittance.payment = payment
        remittance.received_at = paid_at
        remittance.save(update_fields=["payment", "received_at"])
        transaction.on_commit(
            lambda: remittance_received.send(sender=Remittance, remittance=remittance)
        )
    return remittance
