"""Red-letter 数电票 through the confirmation form (红字发票信息确认单).

drafted → (submit) → sent to the buyer, when the buyer has used or booked the invoice
(用途确认/入账确认), else confirmed at once → (the buyer confirms) → confirmed →
red-letter invoice issued (确认即开票: the platform issues it on confirmation; an
immediate issuer answers with its number, otherwise finance enters the number the platform
gave it). Drafted or sent forms can be cancelled. Paper invoices keep the old path: the
original is recovered, then ``invoice_red_letter``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from datetime import date, datetime, time
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ecomops.accounts.selectors import acting_user
from ecomops.errors import ApplicationError, ConflictError
from ecomops.fsm import transition
from ecomops.money import ZERO, to_money
from ecomops.numbering.services import next_number

from ..models import (
    Invoice,
    RedLetterConfirmation,
    RedLetterConfirmationState,
    RedLetterReason,
    RedLetterRequest,
    RedLetterRequestState,
)
from .common import require
from .invoices import _reversed_units, invoice_red_letter
from .issuers import IssuedOnPlatform, company_issuer, is_digital_number

OPEN_FORM_STATES = (
    RedLetterConfirmationState.DRAFTED,
    RedLetterConfirmationState.SENT,
    RedLetterConfirmationState.CONFIRMED,
)


class RedLetterConfirmationError(ApplicationError):
    """A confirmation form that cannot be handled as asked."""


def _units_in_open_forms(invoice: Invoice, exclude: int | None = None) -> dict[int, int]:
    units: dict[int, int] = defaultdict(int)
    forms = invoice.red_letter_confirmations.filter(state__in=OPEN_FORM_STATES)
    if exclude is not None:
        forms = forms.exclude(pk=exclude)
    for form in forms:
        for position, quantity in form.quantities.items():
            units[int(position)] += int(quantity)
    return units


def invoice_mark_buyer_used(*, invoice_id: int, used: bool = True, by: Any) -> Invoice:
    """Record what the platform shows of the buyer's use of the invoice (用途确认/入账确认)."""
    require(by, "finance.issue_red_letter")
    with transaction.atomic():
        invoice = Invoice.objects.select_for_update().get(pk=invoice_id)
        if invoice.buyer_used != used:
            invoice.buyer_used = used
            invoice.save(update_fields=["buyer_used"])
    return invoice


def red_letter_confirmation_draft(
    *,
    invoice_id: int,
    reason: str,
    quantities: Mapping[int, int] | None = None,
    note: str = "",
    request_id: int | None = None,
    by: Any,
) -> RedLetterConfirmation:
    """Draft the form for some units of a 数电票's lines (all that is left when not given).

    Whether the buyer must confirm is read from the invoice as it is now (``buyer_used``).
    Units already reversed or on another open form cannot be asked for again.
    """
    require(by, "finance.issue_red_letter")
    if reason not in RedLetterReason.values:
        raise RedLetterConfirmationError(
            _("Choose why the red-letter invoice is issued."),
            {"fields": {"reason": [_("Choose a reason.")]}},
        )
    with transaction.atomic():
        invoice = Invoice.objects.select_for_update().get(pk=invoice_id)
        if invoice.is_red_letter or not invoice.digital:
            raise RedLetterConfirmationError(
                _(
                    "Only a fully digital e-invoice is reversed through a confirmation form; "
                    "a paper invoice is recovered first, then reversed."
                )
            )
        lines = {line.position: line for line in invoice.lines.all()}
        taken = _reversed_units(invoice)
        for position, units in _units_in_open_forms(invoice).items():
            taken[position] = taken.get(position, 0) + units
        wanted = (
            {int(p): int(q) for p, q in quantities.items() if q}
            if quantities
            else {p: line.quantity - taken.get(p, 0) for p, line in lines.items()}
        )
        wanted = {p: q for p, q in wanted.items() if q}
        if not wanted:
            raise ConflictError(
                _("Invoice %(number)s has nothing left to reverse.") % {"number": invoice.number}
            )
        amount = ZERO
        for position, quantity in wanted.items():
            line = lines.get(position)
            left = (line.quantity - taken.get(position, 0)) if line else 0
            if line is None or quantity < 0 or quantity > left:
                raise RedLetterConfirmationError(
                    _("Line %(line)s has %(left)d units left to reverse, not %(quantity)d.")
                    % {"line": position, "left": left, "quantity": quantity},
                    {"fields": {"quantities": [_("More than is left on the line.")]}},
                )
            amount -= to_money(line.total_amount * quantity / line.quantity)
        form = RedLetterConfirmation.objects.create(
            number=next_number("RC"),
            invoice=invoice,
            request_id=request_id,
            reason=reason,
            note=note.strip(),
            quantities={str(p): q for p, q in sorted(wanted.items())},
            amount=amount,
            needs_buyer=invoice.buyer_used,
            drafted_at=timezone.now(),
            drafted_by=acting_user(by),
        )
    return form


def red_letter_confirmation_submit(*, confirmation_id: int, by: Any) -> RedLetterConfirmation:
    """Submit the form on the platform: to the buyer when the buyer used the invoice,
    otherwise it confirms itself; a confirmed form is issued at once when the issuer can."""
    with transaction.atomic():
        form = RedLetterConfirmation.objects.select_for_update().get(pk=confirmation_id)
        if form.state != RedLetterConfirmationState.DRAFTED:
            return form
        transition(
            form, "submit", by=by, update_fields=["sent_at", "confirmed_at"], at=timezone.now()
        )
        if form.state == RedLetterConfirmationState.CONFIRMED:
            _issue_if_immediate(form, by)
    return form


def red_letter_confirmation_buyer_confirmed(
    *, confirmation_id: int, by: Any
) -> RedLetterConfirmation:
    """The buyer confirmed the form on the platform."""
    with transaction.atomic():
        form = RedLetterConfirmation.objects.select_for_update().get(pk=confirmation_id)
        if form.state in (RedLetterConfirmationState.CONFIRMED, RedLetterConfirmationState.ISSUED):
            return form
        transition(
            form,
            "confirm",
            by=by,
            update_fields=["confirmed_at", "confirmed_by_buyer"],
            at=timezone.now(),
        )
        _issue_if_immediate(form, by)
    return form


def _issue_if_immediate(form: RedLetterConfirmation, by: Any) -> None:
    issuer = company_issuer()
    if issuer.immediate:
        platform = issuer.issue_red(original_number=form.invoice.number, at=timezone.now())
        if platform is not None:
            _issue(form, platform, by)


def red_letter_confirmation_issue(
    *,
    confirmation_id: int,
    number: str,
    issued_on: date,
    file_name: str = "",
    file_content: bytes = b"",
    by: Any,
) -> RedLetterConfirmation:
    """Record the red-letter 数电票 the platform issued for a confirmed form."""
    number = number.strip()
    if not is_digital_number(number):
        raise RedLetterConfirmationError(
            _("Enter the 20 digits of the 数电票 number."),
            {"fields": {"number": [_("Enter the 20 digits of the 数电票 number.")]}},
        )
    if Invoice.objects.filter(number=number).exists():
        raise RedLetterConfirmationError(
            _("This number is already on another invoice."),
            {"fields": {"number": [_("This number is already on another invoice.")]}},
        )
    now = timezone.localtime()
    issued_at = (
        now
        if issued_on == now.date()
        else timezone.make_aware(datetime.combine(issued_on, time(12, 0)))
    )
    with transaction.atomic():
        form = RedLetterConfirmation.objects.select_for_update().get(pk=confirmation_id)
        if form.state == RedLetterConfirmationState.ISSUED:
            return form
        _issue(
            form,
            IssuedOnPlatform(
                number=number,
                issued_at=issued_at,
                file_name=file_name,
                file_content=file_content,
                issuer="manual",
            ),
            by,
        )
    return form


def _issue(form: RedLetterConfirmation, platform: IssuedOnPlatform, by: Any) -> None:
    if form.state != RedLetterConfirmationState.CONFIRMED:
        raise ConflictError(
            _("Form %(number)s is not confirmed: the red-letter invoice waits for it.")
            % {"number": form.number}
        )
    red = invoice_red_letter(
        invoice_id=form.invoice_id,
        reason=form.reason,
        note=form.note or form.number,
        quantities={int(p): int(q) for p, q in form.quantities.items()},
        by=by,
        platform=platform,
    )
    transition(form, "issue", by=by, update_fields=["red_invoice"], red_invoice=red)
    if form.request_id is not None:
        request = RedLetterRequest.objects.select_for_update().get(pk=form.request_id)
        if request.state == RedLetterRequestState.REQUESTED:
            transition(
                request,
                "issue",
                by=by,
                update_fields=["issued_at", "red_invoice"],
                at=red.issued_at,
                red_invoice=red,
            )


def red_letter_confirmation_cancel(
    *, confirmation_id: int, why: str, by: Any
) -> RedLetterConfirmation:
    """Withdraw a form not yet confirmed (or the buyer refused it)."""
    if not why.strip():
        raise RedLetterConfirmationError(
            _("Say why the form is cancelled."), {"fields": {"reason": [_("Enter a reason.")]}}
        )
    with transaction.atomic():
        form = RedLetterConfirmation.objects.select_for_update().get(pk=confirmation_id)
        transition(
            form,
            "cancel",
            by=by,
            reason=why,
            update_fields=["cancelled_at", "cancel_reason"],
            at=timezone.now(),
            why=why.strip(),
        )
    return form
