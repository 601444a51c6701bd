"""Red-letter requests: another department asks finance to reverse units of an invoice.

A return whose goods came back asks for the accepted units (``red_letter_request``);
finance issues the red-letter invoice from the request (``red_letter_request_issue``),
after recovering a paper original first, as for any red-letter invoice.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ecomops.accounts.roles import RoleCode
from ecomops.accounts.selectors import acting_user
from ecomops.errors import ApplicationError
from ecomops.fsm import transition
from ecomops.money import ZERO, format_money, to_money
from ecomops.notifications.services import notify_role
from ecomops.numbering.services import next_number

from ..models import (
    Invoice,
    RedLetterConfirmation,
    RedLetterConfirmationState,
    RedLetterReason,
    RedLetterRequest,
    RedLetterRequestState,
)
from .invoices import _reversed_units, invoice_red_letter
from .red_confirmations import red_letter_confirmation_draft, red_letter_confirmation_submit


class RedLetterRequestError(ApplicationError):
    """A red-letter request that cannot be made as asked."""


def _requested_units(invoice: Invoice) -> dict[int, int]:
    """Units of each line already asked for by open requests (not yet issued)."""
    units: dict[int, int] = defaultdict(int)
    for request in invoice.red_letter_requests.filter(state=RedLetterRequestState.REQUESTED):
        for position, quantity in request.quantities.items():
            units[int(position)] += int(quantity)
    return units


def red_letter_request(
    *,
    order_id: int,
    items: Sequence[tuple[int, int]],
    reason: str = RedLetterReason.GOODS_RETURNED,
    source_reference: str = "",
    note: str = "",
    by: Any = None,
) -> list[RedLetterRequest]:
    """Ask for red-letter invoices for ``items`` — (SKU id, units) — of an order.

    The units are found on the order's issued invoices, oldest first, skipping what is
    already reversed or asked for; one request per invoice touched. An order without an
    invoice needs none: the answer is an empty list. Asking again with the same
    ``source_reference`` returns the requests made the first time.
    """
    with transaction.atomic():
        originals = list(
            Invoice.objects.select_for_update()
            .filter(order_id=order_id, original__isnull=True)
            .order_by("issued_at", "pk")
        )
        if not originals:
            return []
        if source_reference:
            existing = list(
                RedLetterRequest.objects.filter(
                    invoice__in=originals, source_reference=source_reference
                ).exclude(state=RedLetterRequestState.CANCELLED)
            )
            if existing:
                return existing
        wanted: dict[int, int] = defaultdict(int)
        for sku_id, quantity in items:
            wanted[sku_id] += quantity
        made: list[RedLetterRequest] = []
        for invoice in originals:
            taken = _reversed_units(invoice)
            for position, units in _requested_units(invoice).items():
                taken[position] = taken.get(position, 0) + units
            quantities: dict[str, int] = {}
            amount = ZERO
            for line in invoice.lines.all():
                if line.sku_id is None:  # the freight line: no goods come back for it
                    continue
                left = line.quantity - taken.get(line.position, 0)
                units = min(left, wanted.get(line.sku_id, 0))
                if units <= 0:
                    continue
                wanted[line.sku_id] -= units
                quantities[str(line.position)] = units
                amount -= to_money(line.total_amount * units / line.quantity)
            if not quantities:
                continue
            request = RedLetterRequest.objects.create(
                number=next_number("RL"),
                invoice=invoice,
                reason=reason,
                note=note.strip(),
                source_reference=source_reference,
                quantities=quantities,
                amount=amount,
                requested_at=timezone.now(),
                requested_by=acting_user(by),
            )
            made.append(request)
            notify_role(
                role=RoleCode.FINANCE_CLERK,
                title=_("Red-letter invoice of %(amount)s against %(invoice)s to issue")
                % {"amount": format_money(-amount), "invoice": invoice.number},
                body=note,
                url=request.get_absolute_url(),
                key=f"red-letter-requested-{request.pk}",
            )
    return made


def red_letter_request_issue(*, request_id: int, by: Any) -> RedLetterRequest:
    """Issue the red-letter invoice a request asks for; idempotent once issued."""
    with transaction.atomic():
        request = RedLetterRequest.objects.select_for_update().get(pk=request_id)
        if request.state == RedLetterRequestState.ISSUED:
            return request
        if request.invoice.digital:
            # A 数电票 is reversed through its confirmation form, drafted from the request
            # and submitted; the request is issued with the form's red-letter invoice.
            form = (
                RedLetterConfirmation.objects.filter(request=request)
                .exclude(state=RedLetterConfirmationState.CANCELLED)
                .first()
            )
            if form is None:
                form = red_letter_confirmation_draft(
                    invoice_id=request.invoice_id,
                    reason=request.reason,
                    quantities={int(p): int(q) for p, q in request.quantities.items()},
                    note=request.note or request.source_reference,
                    request_id=request.pk,
                    by=by,
                )
            red_letter_confirmation_submit(confirmation_id=form.pk, by=by)
            request.refresh_from_db()
            return request
        red = invoice_red_letter(
            invoice_id=request.invoice_id,
            reason=request.reason,
            note=request.note or request.source_reference,
            quantities={int(p): int(q) for p, q in request.quantities.items()},
            by=by,
        )
        transition(
            request,
            "issue",
            by=by,
            update_fields=["issued_at", "red_invoice"],
            at=timezone.now(),
            red_invoice=red,
        )
    return request


def red_letter_request_cancel(*, request_id: int, why: str, by: Any) -> RedLetterRequest:
    if not why.strip():
        raise RedLetterRequestError(
            _("Say why the request is cancelled."), {"fields": {"reason": [_("Enter a reason.")]}}
        )
    with transaction.atomic():
        request = RedLetterRequest.objects.select_for_update().get(pk=request_id)
        transition(
            request,
            "cancel",
            by=by,
            reason=why,
            update_fields=["cancelled_at", "cancel_reason"],
            at=timezone.now(),
            why=why.strip(),
        )
    return request


def red_letter_requested_amount(order_id: int) -> Decimal:
    """What the open red-letter requests of an order would reverse (negative)."""
    total = sum(
        (
            r.amount
            for r in RedLetterRequest.objects.filter(
                invoice__order_id=order_id, state=RedLetterRequestState.REQUESTED
            )
        ),
        ZERO,
    )
    return to_money(total)
