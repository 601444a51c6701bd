"""Invoice requests and invoices: the same-day rule, tax per line, delivery, red-letter.

A request that comes in before 15:00 on a working day is issued that day (by the end of
working hours); a later one by the end of the next working day. The ``invoice_issued``
SLA clock runs to that deadline, and at 15:00 finance is told what is still open.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, cast

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Exists, OuterRef, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import can_proceed, has_transition_perm

from ecomops import cutoffs, rows
from ecomops.accounts.roles import RoleCode
from ecomops.accounts.selectors import acting_user
from ecomops.calendar import day_closing, is_working_day, next_working_day
from ecomops.cutoffs import invoice_cut
from ecomops.errors import ApplicationError, ConflictError, PermissionDeniedError
from ecomops.fsm import bulk_transition_rows, transition, transition_label
from ecomops.jobs import enqueue
from ecomops.money import ZERO, to_money
from ecomops.notifications.services import notify_role, notify_users
from ecomops.numbering.services import next_in_series, next_number, next_numbers
from ecomops.sla.services import (
    ClockStart,
    sla_clock_start,
    sla_clock_stop,
    sla_clocks_start_all,
    sla_clocks_stop_many,
)
from ecomops.validators import validate_credit_code
from listings.models import Sku
from orders.models import InvoiceKind, Order, OrderLine, OrderState
from warehouse.models import DeliveryNote, NoteState

from ..models import (
    INVOICE_CLOCK,
    DeliveryMethod,
    Invoice,
    InvoiceLine,
    InvoiceRequest,
    InvoiceRequestSource,
    InvoiceRequestState,
    RedLetterReason,
)
from .common import require
from .issuers import IssuedOnPlatform, company_issuer

FEN = Decimal("0.01")
UNIT_PRICE = Decimal("0.000001")
PHONE = re.compile(r"(?:\d[\d\- ]{6,}\d)")
ACCOUNT = re.compile(r"\d[\d ]{6,32}\d")
PACKED_NOTE_STATES = (NoteState.PACKED, NoteState.SHIPPED, NoteState.DELIVERED, NoteState.CANCELLED)
# The freight line (运费): a seller of goods that delivers them makes a mixed sale (混合销售,
# Caishui [2016] No. 36, annex 1, art. 40), so the postage is taxed as the sale of the goods, at the
# rate of the order's main goods, under the transport service's tax category name.
FREIGHT_DESCRIPTION = "*运输服务*运费"
FREIGHT_UNIT = "次"


class InvoiceError(ApplicationError):
    """An invoice or request that cannot be handled as asked."""


# --- Rules -----------------------------------------------------------------------------------


def invoice_due_at(requested_at: datetime) -> datetime:
    """Before the invoice cut (15:00 unless a manager moved it, ``ecomops.cutoffs``) on a
    working day: that day's close; otherwise the next working day's."""
    local = timezone.localtime(requested_at)
    day = local.date()
    if is_working_day(day) and local.time() < invoice_cut(requested_at):
        return day_closing(day)
    return day_closing(next_working_day(day))


def validate_tax_details(
    *, kind: str, title: str, tax_id: str, address_phone: str, bank_account: str
) -> None:
    """Raise a ``ValidationError`` per field that a fapiao of ``kind`` cannot be issued with.

    A special VAT invoice (增值税专用发票) needs the company name, its taxpayer ID (the
    18-character unified social credit code), address and phone, bank and account; an
    ordinary one needs a title, and a taxpayer ID only when one is given.
    """
    errors: dict[str, list[str]] = {}
    if kind not in InvoiceKind.values:
        errors["kind"] = [_("Choose an ordinary or a special VAT invoice.")]
    if not title.strip():
        errors["title"] = [_("Enter the buyer's name as it is to be printed.")]
    if kind == InvoiceKind.SPECIAL or tax_id.strip():
        if not tax_id.strip():
            errors["tax_id"] = [_("A special VAT invoice needs the buyer's taxpayer ID.")]
        else:
            try:
                validate_credit_code(tax_id.strip().upper())
            except ValidationError as exc:
                errors["tax_id"] = list(exc.messages)
    if kind == InvoiceKind.SPECIAL:
        if not address_phone.strip():
            errors["address_phone"] = [_("A special VAT invoice needs the address and phone.")]
        elif not PHONE.search(address_phone):
            errors["address_phone"] = [_("Give the registered address followed by a phone number.")]
        if not bank_account.strip():
            errors["bank_account"] = [_("A special VAT invoice needs the bank and account.")]
        elif not ACCOUNT.search(bank_account) or not re.search(r"\D", bank_account.strip()):
            errors["bank_account"] = [
                _("Give the bank's name followed by the account number (digits).")
            ]
    if errors:
        raise ValidationError(errors)


def line_amounts(total: Decimal, tax_rate: Decimal) -> tuple[Decimal, Decimal]:
    """(amount without tax, tax) of a tax-inclusive line total, rounded per line to the fen.

    The tax is what is left after rounding the net amount, so net + tax is the total exactly
    and the invoice's totals reconcile to the fen.
    """
    total = to_money(total)
    net = (total / (Decimal(1) + tax_rate)).quantize(FEN, rounding=ROUND_HALF_UP)
    return net, total - net


def next_invoice_number(kind: str) -> str:
    """The next number of the kind's series: the series code and an 8-digit counter."""
    code = settings.FINANCE_INVOICE_SERIES[kind]
    return f"{code}{next_in_series(f'invoice-{kind}'):08d}"


# --- Requests --------------------------------------------------------------------------------


def _details_of(order: Order) -> dict[str, str]:
    details = dict(order.invoice_details or {})
    customer = order.customer
    fallback = {
        "title": customer.invoice_title or customer.name if customer else order.receiver_name,
        "tax_id": customer.invoice_tax_id if customer else "",
        "address_phone": customer.invoice_address_phone if customer else "",
        "bank_account": customer.invoice_bank_account if customer else "",
        "email": customer.email if customer else "",
    }
    return {key: str(details.get(key) or fallback.get(key) or "") for key in fallback}


def invoice_request_create(
    *,
    order: Order,
    source: str,
    by: Any,
    kind: str | None = None,
    title: str | None = None,
    tax_id: str | None = None,
    address_phone: str | None = None,
    bank_account: str | None = None,
    delivery_method: str | None = None,
    email: str | None = None,
    postal_address: str | None = None,
    note: str = "",
    at: datetime | None = None,
) -> InvoiceRequest:
    """Open the invoice request of an order; details default to what came with the order.

    Refused when the order already has a live request or invoice, or the tax details do not
    do for the kind (a ``ValidationError`` naming each field).
    """
    if by is not None and not by.has_perm("finance.request_invoice"):
        raise PermissionDeniedError(_("You are not allowed to request invoices."))
    given = {
        "kind": kind,
        "title": title,
        "tax_id": tax_id,
        "address_phone": address_phone,
        "bank_account": bank_account,
        "delivery_method": delivery_method,
        "email": email,
        "postal_address": postal_address,
    }
    request = _new_request(order, source=source, by=by, at=at or timezone.now(), given=given)
    request.note = note
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        if order.state == OrderState.CANCELLED:
            raise InvoiceError(
                _("Order %(number)s is cancelled: no invoice.") % {"number": order.number}
            )
        live = InvoiceRequest.objects.filter(order=order).exclude(
            state=InvoiceRequestState.REJECTED
        )
        if live.exists():
            raise ConflictError(
                _("Order %(number)s already has invoice request %(request)s.")
                % {"number": order.number, "request": live.first()}
            )
        request.order = order
        request.number = next_number("IR")
        request.save(force_insert=True)
        sla_clock_start(
            code=INVOICE_CLOCK, obj=request, started_at=request.requested_at, due_at=request.due_at
        )
    return request


def _new_request(
    order: Order,
    *,
    source: str,
    by: Any,
    at: datetime,
    given: Mapping[str, str | None] | None = None,
) -> InvoiceRequest:
    """The request of ``order`` requested ``at``, not saved and not numbered. Each detail
    not ``given`` (kind, title, tax_id, address_phone, bank_account, delivery_method, email,
    postal_address) is what came with the order; a ``ValidationError`` names each field a
    fapiao of its kind cannot be issued with."""
    defaults, given = _details_of(order), given or {}

    def detail(name: str, default: str) -> str:
        value = given.get(name)
        return default if value is None else value

    kind = given.get("kind") or order.invoice_kind or InvoiceKind.ORDINARY
    title = detail("title", defaults["title"])
    tax_id = detail("tax_id", defaults["tax_id"]).strip().upper()
    address_phone = detail("address_phone", defaults["address_phone"])
    bank_account = detail("bank_account", defaults["bank_account"])
    email = detail("email", defaults["email"])
    delivery_method = detail(
        "delivery_method", DeliveryMethod.EMAIL if email else DeliveryMethod.POST
    )
    validate_tax_details(
        kind=kind,
        title=title,
        tax_id=tax_id,
        address_phone=address_phone,
        bank_account=bank_account,
    )
    postal_address = given.get("postal_address") or order.ship_address
    _check_delivery(delivery_method, email, postal_address)
    return InvoiceRequest(
        order=order,
        source=source,
        kind=kind,
        title=title.strip(),
        tax_id=tax_id,
        address_phone=address_phone.strip(),
        bank_account=bank_account.strip(),
        delivery_method=delivery_method,
        email=email,
        postal_address=postal_address.strip(),
        requested_at=at,
        requested_by=acting_user(by),
        due_at=invoice_due_at(at),
    )


def _check_delivery(method: str, email: str, postal_address: str) -> None:
    if method not in DeliveryMethod.values:
        raise ValidationError({"delivery_method": [_("Choose how the invoice is delivered.")]})
    if method == DeliveryMethod.EMAIL and not email:
        raise ValidationError({"email": [_("An electronic invoice needs an e-mail address.")]})
    if method == DeliveryMethod.POST and not postal_address.strip():
        raise ValidationError({"postal_address": [_("Give the address to post it to.")]})


def invoice_requests_for_packed(*, orders: Sequence[Order]) -> list[InvoiceRequest]:
    """The warehouse packed these orders: open a request for each that needs an invoice.

    Idempotent: an order with a request (even a rejected one) is skipped, and so is one
    cancelled since. Tax details that came wrong with the order do not stop the parcel:
    finance is told, order by order.

    Called after every parcel's close, so it takes a fixed number of statements however
    many orders the parcel holds: the orders locked and read with their customers and
    whether they have a request (one SELECT), the day's request numbers taken at once,
    the requests inserted together and their clocks by one more INSERT.
    """
    wanted = sorted({order.pk for order in orders if order.needs_invoice})
    if not wanted:
        return []
    now = timezone.now()
    created: list[InvoiceRequest] = []
    refused: list[tuple[Order, ValidationError]] = []
    with transaction.atomic():
        # Locked in key order, as invoice_request_create locks each: a clerk's request for
        # one of these orders waits for this one, which it then finds.
        locked = (
            Order.objects.select_for_update(of=("self",))
            .select_related("customer")
            .annotate(requested=Exists(InvoiceRequest.objects.filter(order=OuterRef("pk"))))
            .filter(pk__in=wanted)
            .order_by("pk")
        )
        for order in locked:
            if order.requested or order.state == OrderState.CANCELLED:
                continue
            try:
                created.append(
                    _new_request(order, source=InvoiceRequestSource.PACKED, by=None, at=now)
                )
            except ValidationError as exc:
                refused.append((order, exc))
        if created:
            # the series' row stays locked until the commit: taken last
            for request, number in zip(created, next_numbers("IR", len(created)), strict=True):
                request.number = number
            rows.insert(created)
            sla_clocks_start_all(
                model=InvoiceRequest,
                starts=[
                    ClockStart(INVOICE_CLOCK, request.pk, now, due_at=request.due_at)
                    for request in created
                ],
            )
    for order, error in refused:
        notify_role(
            role=RoleCode.FINANCE_CLERK,
            title=_("Order %(number)s needs an invoice, but its tax details are not complete")
            % {"number": order.number},
            body="; ".join(str(message) for message in error.messages),
            url=order.get_absolute_url(),
            level="warning",
            key=f"invoice-details-{order.pk}",
        )
    return created


def invoice_request_reject(*, request_id: int, why: str, by: Any) -> InvoiceRequest:
    """Send a request back with the reason (e.g. wrong tax details); the requester is told."""
    if not why.strip():
        raise InvoiceError(
            _("Say why the request is rejected."),
            {"fields": {"reason": [_("Enter a reason.")]}},
        )
    with transaction.atomic():
        request = InvoiceRequest.objects.select_for_update().get(pk=request_id)
        now = timezone.now()
        transition(
            request,
            "reject",
            by=by,
            reason=why,
            update_fields=["rejected_at", "rejection_reason"],
            at=now,
            why=why.strip(),
        )
        sla_clock_stop(code=INVOICE_CLOCK, obj=request, stopped_at=now)
        title = _("Invoice request %(number)s for order %(order)s was rejected") % {
            "number": request.number,
            "order": request.order.number,
        }
        if request.requested_by is not None:
            notify_users(
                users=[request.requested_by],
                title=title,
                body=why,
                url=request.get_absolute_url(),
                level="warning",
                key=f"invoice-request-rejected-{request.pk}-{now:%Y%m%d%H%M%S}",
            )
        else:
            notify_role(
                role=RoleCode.AFTERSALES_SERVICE,
                title=title,
                body=why,
                url=request.get_absolute_url(),
                level="warning",
                key=f"invoice-request-rejected-{request.pk}-{now:%Y%m%d%H%M%S}",
            )
    return request


def invoice_request_resubmit(
    *, request_id: int, details: Mapping[str, str], by: Any
) -> InvoiceRequest:
    """Correct a rejected request's details and send it to finance again."""
    with transaction.atomic():
        request = InvoiceRequest.objects.select_for_update().get(pk=request_id)
        fields = (
            "kind",
            "title",
            "tax_id",
            "address_phone",
            "bank_account",
            "email",
            "postal_address",
            "delivery_method",
        )
        for field in fields:
            if field in details:
                setattr(request, field, str(details[field]).strip())
        request.tax_id = request.tax_id.upper()
        validate_tax_details(
            kind=request.kind,
            title=request.title,
            tax_id=request.tax_id,
            address_phone=request.address_phone,
            bank_account=request.bank_account,
        )
        _check_delivery(request.delivery_method, request.email, request.postal_address)
        now = timezone.now()
        transition(
            request,
            "resubmit",
            by=by,
            update_fields=[*fields, "requested_at", "due_at", "rejected_at"],
            at=now,
            due_at=invoice_due_at(now),
        )
        sla_clock_start(code=INVOICE_CLOCK, obj=request, started_at=now, due_at=request.due_at)
    return request


# --- Issuing -----------------------------------------------------------------------------


def order_can_take_parcel_insert(order: Order) -> bool:
    """An invoice can go into the parcel while one of the order's notes is not packed yet."""
    return DeliveryNote.objects.filter(order=order).exclude(state__in=PACKED_NOTE_STATES).exists()


@dataclass(frozen=True)
class IssueOutcome:
    """What became of one request of ``invoices_issue_many``: its invoice, or the refusal
    ``invoice_issue`` would raise for it."""

    request_id: int
    invoice: Invoice | None = None
    error: ApplicationError | ValidationError | None = None


# Requests issued per transaction: a fixed number of statements for each.
ISSUE_CHUNK = 1000


def invoice_issue(
    *,
    request_id: int,
    by: Any,
    delivery_method: str | None = None,
    at: datetime | None = None,
    issued: IssuedOnPlatform | None = None,
) -> Invoice:
    """Issue the request's invoice: numbered, a line per order line with its SKU's tax rate
    at the line's net amount (less its share of the discount), and a freight line (运费)
    when the order charged postage, so the invoice's total is the order's total.

    An electronic invoice is e-mailed with its PDF (after commit) and counts as delivered
    when sent; a paper one goes into the parcel (the pack station shows it) or by post.
    """
    (outcome,) = invoices_issue_many(
        request_ids=[request_id],
        by=by,
        delivery_method=delivery_method,
        at=at,
        issued={request_id: issued} if issued is not None else None,
    )
    if outcome.error is not None:
        raise outcome.error
    return cast(Invoice, outcome.invoice)


def invoices_issue_many(
    *,
    request_ids: Sequence[int],
    by: Any,
    delivery_method: str | None = None,
    at: datetime | None = None,
    issued: Mapping[int, IssuedOnPlatform] | None = None,
) -> list[IssueOutcome]:
    """Issue the invoices of many requests (finance's queue, worked at once): each exactly
    as ``invoice_issue`` issues it, an outcome per id in the order given. A refused request
    (not open, no lines, details that do not do, the parcel gone) keeps nothing and stops
    no other.

    Set-based: per ``ISSUE_CHUNK`` requests they are locked in one statement (pk order), the
    order lines read at once, the numbers taken in one step per kind, invoices, lines, state
    changes, their log and the SLA clocks written in bulk, whatever the number.

    An electronic invoice is a 数电票: its 20-digit number comes from the tax platform, given
    in ``issued`` (the platform's result file, manual entry) or answered at once by the
    company's issuer when it is immediate (an API, the sandbox); without one the request is
    refused and stays open for the batch export. A paper invoice keeps the paper series
    (code + 8 digits). A request whose goods lack a tax classification code is held.
    """
    outcomes: dict[int, IssueOutcome] = {}
    unique = list(dict.fromkeys(request_ids))
    for start in range(0, len(unique), ISSUE_CHUNK):
        with transaction.atomic():
            outcomes.update(
                _issue_chunk(
                    unique[start : start + ISSUE_CHUNK], by, delivery_method, at, issued or {}
                )
            )
    answered: set[int] = set()
    result = []
    for request_id in request_ids:
        outcome = outcomes[request_id]
        if request_id in answered and outcome.invoice is not None:
            # The same request twice: issued by the first, refused as issued the second time.
            invoice = outcome.invoice
            request = cast(InvoiceRequest, invoice.request)
            outcome = IssueOutcome(request_id, error=_cannot_issue(request))
        answered.add(request_id)
        result.append(outcome)
    return result


def _issue_chunk(
    request_ids: list[int],
    by: Any,
    delivery_method: str | None,
    at: datetime | None,
    issued: Mapping[int, IssuedOnPlatform],
) -> dict[int, IssueOutcome]:
    requests = {
        r.pk: r
        for r in InvoiceRequest.objects.select_for_update(of=("self",))
        .select_related("order")
        # Of the order only what an invoice takes (and its state, which django-fsm reads).
        .only(*_REQUEST_FIELDS, "order__number", "order__shipping_fee", "order__state")
        .filter(pk__in=request_ids)
        .order_by("pk")
    }
    errors: dict[int, ApplicationError | ValidationError] = {}
    for request_id in request_ids:
        if request_id not in requests:
            errors[request_id] = InvoiceError(
                _("Invoice request %(id)s does not exist.") % {"id": request_id}
            )
    parcel = [
        r.order_id
        for r in requests.values()
        if (delivery_method or r.delivery_method) == DeliveryMethod.PARCEL
    ]
    open_parcels = (
        set(
            DeliveryNote.objects.filter(order_id__in=parcel)
            .exclude(state__in=PACKED_NOTE_STATES)
            .values_list("order_id", flat=True)
        )
        if parcel
        else set()
    )
    lines = _lines_of({r.order_id for r in requests.values()})
    now = at or timezone.now()
    issuing: list[InvoiceRequest] = []
    for request in sorted(requests.values(), key=lambda r: r.pk):
        error = _refusal(request, by, delivery_method, open_parcels, lines)
        if error is not None:
            errors[request.pk] = error
            continue
        request.delivery_method = delivery_method or request.delivery_method
        issuing.append(request)
    platform = _platform_numbers(issuing, issued, now)
    for request in list(issuing):
        if request.delivery_method == DeliveryMethod.EMAIL and request.pk not in platform:
            errors[request.pk] = InvoiceError(
                _(
                    "Request %(number)s is issued on the tax platform: export it in a batch "
                    "or enter the number the platform gave it."
                )
                % {"number": request.number}
            )
            issuing.remove(request)
    outcomes = {request_id: IssueOutcome(request_id, error=e) for request_id, e in errors.items()}
    if not issuing:
        return outcomes
    # The same move for every request: rows updated and logged in SQL, not per object.
    pks = [r.pk for r in issuing]
    bulk_transition_rows(InvoiceRequest, pks, "issue", by=by, update_fields=["issued_at"], at=now)
    if delivery_method is not None:
        InvoiceRequest.objects.filter(pk__in=pks).update(delivery_method=delivery_method)
    state = InvoiceRequest._meta.get_field("state")
    for request in issuing:  # as the rows now are
        state.set_state(request, InvoiceRequestState.ISSUED)
        request.issued_at = now
    paper = [r for r in issuing if r.pk not in platform]
    paper_numbers = dict(
        zip([r.pk for r in paper], _invoice_numbers([r.kind for r in paper]), strict=True)
    )
    invoices: list[Invoice] = []
    invoice_lines: list[InvoiceLine] = []
    issuer_code = company_issuer().code
    for request in issuing:
        on_platform = platform.get(request.pk)
        number = on_platform.number if on_platform else paper_numbers[request.pk]
        invoice, rows = _invoice_of(request, lines[request.order_id], number, now, by)
        if on_platform is not None:
            invoice.digital = True
            invoice.issuer = on_platform.issuer or issuer_code
            invoice.issued_at = on_platform.issued_at
        invoices.append(invoice)
        invoice_lines.extend(rows)
        outcomes[request.pk] = IssueOutcome(request.pk, invoice=invoice)
    Invoice.objects.bulk_create(invoices, batch_size=ISSUE_CHUNK)
    InvoiceLine.objects.bulk_create(invoice_lines, batch_size=2000)
    for invoice in invoices:
        on_platform = platform.get(cast(InvoiceRequest, invoice.request).pk)
        if on_platform is not None and on_platform.file_content:
            invoice.issued_file.save(
                on_platform.file_name or f"{invoice.number}.pdf",
                ContentFile(on_platform.file_content),
                save=False,
            )
            invoice.save(update_fields=["issued_file"])
    sla_clocks_stop_many(
        code=INVOICE_CLOCK,
        model=InvoiceRequest,
        object_ids=pks,
        stopped_at=now,
    )
    for invoice in invoices:
        if invoice.delivery_method == DeliveryMethod.EMAIL:
            enqueue("finance.tasks.send_invoice_email", invoice_id=invoice.pk)
    return outcomes


def _platform_numbers(
    issuing: list[InvoiceRequest], issued: Mapping[int, IssuedOnPlatform], now: datetime
) -> dict[int, IssuedOnPlatform]:
    """The platform's answer for each electronic request: given, or asked of an immediate
    issuer; numbers already on another invoice are refused by the unique number."""
    # What the platform issued is a 数电票 whatever the delivery; an electronic request
    # without the platform's answer asks the issuer.
    found = {r.pk: issued[r.pk] for r in issuing if r.pk in issued}
    electronic = [r for r in issuing if r.delivery_method == DeliveryMethod.EMAIL]
    issuer = company_issuer()
    missing = [r for r in electronic if r.pk not in found]
    if missing and issuer.immediate:
        found.update(issuer.issue(missing, at=now))
    return found


def missing_tax_codes(lines: Sequence[_Line]) -> list[str]:
    """Codes of the SKUs on these lines that have no tax classification code yet."""
    return sorted({line.sku.code for line in lines if not line.sku.tax_code})


_REQUEST_FIELDS = [field.name for field in InvoiceRequest._meta.concrete_fields]


@dataclass(frozen=True)
class _Line:
    """An order line as its invoice line needs it."""

    position: int
    sku: Sku
    quantity: int
    net_amount: Decimal  # ``OrderLine.net_amount``: its amount less its share of the discount


def _lines_of(order_ids: set[int]) -> dict[int, list[_Line]]:
    """The lines of these orders by order, in position order: rows and each SKU read once."""
    rows = list(
        OrderLine.objects.filter(order_id__in=order_ids)
        .order_by("order_id", "position")
        .values_list("order_id", "position", "sku_id", "quantity", "amount", "discount_share")
    )
    skus = Sku.objects.in_bulk({row[2] for row in rows})
    lines: dict[int, list[_Line]] = {}
    for order_id, position, sku_id, quantity, amount, discount_share in rows:
        lines.setdefault(order_id, []).append(
            _Line(position, skus[sku_id], quantity, amount - discount_share)
        )
    return lines


def _refusal(
    request: InvoiceRequest,
    by: Any,
    delivery_method: str | None,
    open_parcels: set[int],
    lines: Mapping[int, list[_Line]],
) -> ApplicationError | ValidationError | None:
    """Why ``invoice_issue`` would refuse the (locked) request, in the order it checks."""
    method = delivery_method or request.delivery_method
    if method == DeliveryMethod.PARCEL and request.order_id not in open_parcels:
        return InvoiceError(
            _("Every parcel of order %(number)s is packed: send the invoice by post or e-mail.")
            % {"number": request.order.number},
            {"fields": {"delivery_method": [_("The parcel has left the pack station.")]}},
        )
    try:
        _check_delivery(method, request.email, request.postal_address)
    except ValidationError as exc:
        return exc
    if by is not None and not has_transition_perm(request.issue, by):
        if not can_proceed(request.issue):
            return _cannot_issue(request)
        return PermissionDeniedError(
            _("You are not allowed to do this: %(action)s.")
            % {"action": transition_label(InvoiceRequest, "issue")}
        )
    if not can_proceed(request.issue):
        return _cannot_issue(request)
    if not lines.get(request.order_id):
        return InvoiceError(_("Order %(number)s has no lines.") % {"number": request.order.number})
    missing = missing_tax_codes(lines[request.order_id])
    if missing:
        return InvoiceError(
            _(
                "Held: SKU %(skus)s has no tax classification code (商品和服务税收分类编码). "
                "The request is issued once the code is set."
            )
            % {"skus": ", ".join(missing)}
        )
    return None


def _cannot_issue(request: InvoiceRequest) -> ConflictError:
    # The words transition() uses when a request cannot take a transition.
    return ConflictError(
        _("%(object)s cannot %(action)s while it is %(state)s.")
        % {
            "object": str(request),
            "action": transition_label(InvoiceRequest, "issue"),
            "state": request.get_state_display(),
        }
    )


def _invoice_numbers(kinds: list[str]) -> list[str]:
    """A number of its kind's series for each invoice, taken in one step per kind."""
    taken: dict[str, int] = {}
    for kind in sorted(set(kinds)):
        count = kinds.count(kind)
        taken[kind] = next_in_series(f"invoice-{kind}", count) - count
    numbers = []
    for kind in kinds:
        taken[kind] += 1
        numbers.append(f"{settings.FINANCE_INVOICE_SERIES[kind]}{taken[kind]:08d}")
    return numbers


def _invoice_of(
    request: InvoiceRequest, lines: list[_Line], number: str, now: datetime, by: Any
) -> tuple[Invoice, list[InvoiceLine]]:
    """The (unsaved) invoice of the request and its lines."""
    order = request.order
    method = request.delivery_method
    # Each line at what the buyer pays for it: its amount less its share of the discount.
    rows = []
    for line in lines:
        rate = line.sku.tax_rate
        net, tax = line_amounts(line.net_amount, rate)
        rows.append((line, rate, net, tax))
    freight: tuple[Decimal, Decimal, Decimal] | None = None
    if order.shipping_fee > 0:
        main = max(lines, key=lambda line: (line.net_amount, -line.position))
        freight = (main.sku.tax_rate, *line_amounts(order.shipping_fee, main.sku.tax_rate))
    invoice = Invoice(
        number=number,
        kind=request.kind,
        request=request,
        order=order,
        electronic=method == DeliveryMethod.EMAIL,
        buyer_name=request.title,
        buyer_tax_id=request.tax_id,
        buyer_address_phone=request.address_phone,
        buyer_bank_account=request.bank_account,
        amount_net=sum((r[2] for r in rows), ZERO) + (freight[1] if freight else ZERO),
        tax_amount=sum((r[3] for r in rows), ZERO) + (freight[2] if freight else ZERO),
        total_amount=sum((r[0].net_amount for r in rows), ZERO) + order.shipping_fee,
        issued_at=now,
        issued_by=acting_user(by),
        delivery_method=method,
        email=request.email if method == DeliveryMethod.EMAIL else "",
    )
    invoice_lines = [
        InvoiceLine(
            invoice=invoice,
            position=index,
            sku=line.sku,
            description=line.sku.invoice_name[:200],
            specification=line.sku.specification,
            unit=line.sku.unit,
            quantity=line.quantity,
            unit_price_net=(net / line.quantity).quantize(UNIT_PRICE, rounding=ROUND_HALF_UP),
            amount_net=net,
            tax_rate=rate,
            tax_amount=tax,
            total_amount=line.net_amount,
        )
        for index, (line, rate, net, tax) in enumerate(rows, start=1)
    ]
    if freight is not None:
        rate, net, tax = freight
        invoice_lines.append(
            InvoiceLine(
                invoice=invoice,
                position=len(rows) + 1,
                sku=None,
                description=FREIGHT_DESCRIPTION,
                unit=FREIGHT_UNIT,
                quantity=1,
                unit_price_net=net,
                amount_net=net,
                tax_rate=rate,
                tax_amount=tax,
                total_amount=order.shipping_fee,
            )
        )
    return invoice, invoice_lines


def invoice_post(*, invoice_id: int, tracking_number: str, by: Any) -> Invoice:
    """The paper invoice went by post: record the tracking number; it counts as delivered."""
    if not tracking_number.strip():
        raise InvoiceError(
            _("Enter the post's tracking number."),
            {"fields": {"tracking_number": [_("Enter the tracking number.")]}},
        )
    with transaction.atomic():
        invoice = Invoice.objects.select_for_update().get(pk=invoice_id)
        if invoice.delivery_method == DeliveryMethod.EMAIL:
            raise InvoiceError(_("An electronic invoice is e-mailed, not posted."))
        invoice.delivery_method = DeliveryMethod.POST
        invoice.tracking_number = tracking_number.strip()
        invoice.save(update_fields=["delivery_method", "tracking_number"])
        return _delivered(invoice, by=by)


def invoice_mark_emailed(*, invoice_id: int) -> Invoice:
    with transaction.atomic():
        invoice = Invoice.objects.select_for_update().get(pk=invoice_id)
        return _delivered(invoice, by=None)


def invoices_put_in_parcel(
    *, orders: Sequence[Order], parcel_number: str, numbers: Collection[str] | None = None
) -> list[Invoice]:
    """The parcel with these orders is closed: their parcel-delivery invoices went in it
    (only those numbered ``numbers`` when given: what the pack station listed to put in)."""
    delivered: list[Invoice] = []
    if numbers is not None and not numbers:
        return delivered
    invoices = Invoice.objects.select_for_update().filter(
        order__in=orders,
        delivery_method=DeliveryMethod.PARCEL,
        delivered_at__isnull=True,
        original__isnull=True,
    )
    if numbers is not None:
        invoices = invoices.filter(number__in=numbers)
    with transaction.atomic():
        for invoice in invoices:
            invoice.parcel_number = parcel_number
            invoice.save(update_fields=["parcel_number"])
            delivered.append(_delivered(invoice, by=None))
    return delivered


def _delivered(invoice: Invoice, *, by: Any) -> Invoice:
    if invoice.delivered_at is not None:
        return invoice
    now = timezone.now()
    invoice.delivered_at = now
    invoice.save(update_fields=["delivered_at"])
    request = invoice.request
    if request is not None and request.state == InvoiceRequestState.ISSUED:
        locked = InvoiceRequest.objects.select_for_update().get(pk=request.pk)
        transition(locked, "deliver", by=by, update_fields=["delivered_at"], at=now)
    return invoice


def invoice_requests_check_due(*, now: datetime | None = None) -> int:
    """After the invoice cut in force today (15:00 unless a manager moved it): tell finance
    how many requests due today are still not issued, once a day (beat looks every five
    minutes; before the cut, and on a non-working day, it does nothing and answers 0)."""
    now = now or timezone.now()
    local = timezone.localtime(now)
    if not is_working_day(local.date()) or local.time() < cutoffs.invoice_cut(now):
        return 0
    end_of_day = day_closing(local.date())
    left = InvoiceRequest.objects.filter(
        state=InvoiceRequestState.REQUESTED, due_at__lte=end_of_day
    )
    count = left.count()
    if count:
        overdue = left.filter(due_at__lt=now).count()
        notify_role(
            role=RoleCode.FINANCE_CLERK,
            title=_("%(count)d invoice requests must still be issued today") % {"count": count},
            body=_(
                "%(overdue)d of them are already overdue. Requests in before %(cut)s are "
                "issued the same day."
            )
            % {"overdue": overdue, "cut": f"{cutoffs.invoice_cut(now):%H:%M}"},
            url="/finance/requests/",
            level="danger" if overdue else "warning",
            key=f"invoice-check-{local.date():%Y%m%d}",
        )
    return count


# --- Paper recovery and red-letter invoices ----------------------------------------------


def invoice_recover_paper(*, invoice_id: int, note: str = "", by: Any) -> Invoice:
    """Record that the customer's paper copy of the invoice is back in finance's hands."""
    require(by, "finance.issue_red_letter")
    with transaction.atomic():
        invoice = Invoice.objects.select_for_update().get(pk=invoice_id)
        if invoice.is_red_letter:
            raise InvoiceError(_("A red-letter invoice is not recovered."))
        if invoice.electronic:
            raise InvoiceError(_("An electronic invoice has no paper copy to recover."))
        if invoice.paper_recovered_at is not None:
            return invoice
        invoice.paper_recovered_at = timezone.now()
        invoice.paper_recovered_by = acting_user(by)
        invoice.paper_recovery_note = note.strip()
        invoice.save(
            update_fields=["paper_recovered_at", "paper_recovered_by", "paper_recovery_note"]
        )
    return invoice


def invoice_red_letter(
    *,
    invoice_id: int,
    reason: str,
    note: str = "",
    quantities: Mapping[int, int] | None = None,
    by: Any,
    platform: IssuedOnPlatform | None = None,
) -> Invoice:
    """Issue a red-letter invoice against an original, in full or for some units of its lines.

    A 数电票 is reversed only through its confirmed red-letter confirmation form
    (``red_letter_confirmation_issue``), which hands the platform's number as ``platform``.

    ``quantities`` maps an original line's position to the units to reverse (all of them
    when not given). A paper original must have been recovered first; an electronic one
    needs no recovery. The red-letter invoices of an original never reverse more than it.
    """
    require(by, "finance.issue_red_letter")
    if reason not in RedLetterReason.values:
        raise InvoiceError(
            _("Choose why the red-letter invoice is issued."),
            {"fields": {"reason": [_("Choose a reason.")]}},
        )
    with transaction.atomic():
        original = Invoice.objects.select_for_update().get(pk=invoice_id)
        if original.is_red_letter:
            raise InvoiceError(_("A red-letter invoice cannot itself be reversed."))
        if original.digital and platform is None:
            raise ConflictError(
                _(
                    "Invoice %(number)s is a fully digital e-invoice: reverse it through a "
                    "red-letter confirmation form (红字发票信息确认单)."
                )
                % {"number": original.number}
            )
        if original.needs_paper_recovery:
            raise ConflictError(
                _(
                    "Invoice %(number)s was issued on paper: record that the original is "
                    "recovered before issuing the red-letter invoice."
                )
                % {"number": original.number}
            )
        lines = {line.position: line for line in original.lines.all()}
        reversed_units = _reversed_units(original)
        wanted = (
            dict(quantities)
            if quantities
            else {pos: line.quantity - reversed_units.get(pos, 0) for pos, line in lines.items()}
        )
        wanted = {pos: qty for pos, qty in wanted.items() if qty}
        if not wanted:
            raise ConflictError(
                _("Invoice %(number)s is already reversed in full.") % {"number": original.number}
            )
        rows = []
        for position, quantity in sorted(wanted.items()):
            line = lines.get(position)
            if line is None:
                raise InvoiceError(
                    _("Invoice %(number)s has no line %(line)s.")
                    % {"number": original.number, "line": position},
                    {"fields": {"quantities": [_("Unknown line.")]}},
                )
            left = line.quantity - reversed_units.get(position, 0)
            if quantity < 0 or quantity > left:
                raise InvoiceError(
                    _("Line %(line)s has %(left)d units left to reverse, not %(quantity)d.")
                    % {"line": position, "left": left, "quantity": quantity},
                    {"fields": {"quantities": [_("More than is left on the line.")]}},
                )
            if quantity == left:
                already = _reversed_line_total(original, position)
                total = -(line.total_amount + already)
            else:
                total = -to_money(line.total_amount * quantity / line.quantity)
            net, tax = line_amounts(total, line.tax_rate)
            rows.append((line, quantity, total, net, tax))
        now = timezone.now()
        red = Invoice.objects.create(
            number=platform.number if platform else next_invoice_number(original.kind),
            digital=original.digital,
            issuer=(platform.issuer if platform else "") or original.issuer,
            kind=original.kind,
            order=original.order,
            original=original,
            red_reason=reason,
            red_note=note.strip(),
            electronic=original.electronic,
            buyer_name=original.buyer_name,
            buyer_tax_id=original.buyer_tax_id,
            buyer_address_phone=original.buyer_address_phone,
            buyer_bank_account=original.buyer_bank_account,
            amount_net=sum((r[3] for r in rows), ZERO),
            tax_amount=sum((r[4] for r in rows), ZERO),
            total_amount=sum((r[2] for r in rows), ZERO),
            issued_at=platform.issued_at if platform else now,
            issued_by=acting_user(by),
            delivery_method=original.delivery_method,
            email=original.email,
        )
        if platform is not None and platform.file_content:
            red.issued_file.save(
                platform.file_name or f"{red.number}.pdf",
                ContentFile(platform.file_content),
                save=True,
            )
        InvoiceLine.objects.bulk_create(
            InvoiceLine(
                invoice=red,
                position=line.position,
                sku_id=line.sku_id,
                description=line.description,
                specification=line.specification,
                unit=line.unit,
                quantity=-quantity,
                unit_price_net=line.unit_price_net,
                amount_net=net,
                tax_rate=line.tax_rate,
                tax_amount=tax,
                total_amount=total,
            )
            for line, quantity, total, net, tax in rows
        )
    return red


def _reversed_units(original: Invoice) -> dict[int, int]:
    rows = (
        InvoiceLine.objects.filter(invoice__original=original)
        .values("position")
        .annotate(units=Sum("quantity"))
    )
    return {row["position"]: -row["units"] for row in rows}


def _reversed_line_total(original: Invoice, position: int) -> Decimal:
    total = InvoiceLine.objects.filter(invoice__original=original, position=position).aggregate(
        s=Sum("total_amount")
    )["s"]
    return to_money(total or ZERO)


def invoice_net_total(order_id: int) -> Decimal:
    """What is invoiced for an order after red-letter invoices."""
    total = Invoice.objects.filter(order_id=order_id).aggregate(s=Sum("total_amount"))["s"]
    return to_money(total or ZERO)


def invoices_email_pending(*, older_than_minutes: int = 10) -> int:
    """Send again the electronic invoices whose e-mail did not go out (a lost message)."""
    cutoff = timezone.now() - timedelta(minutes=older_than_minutes)
    pending = list(
        Invoice.objects.filter(
            delivery_method=DeliveryMethod.EMAIL,
            delivered_at__isnull=True,
            original__isnull=True,
            issued_at__lt=cutoff,
        ).values_list("pk", flat=True)
    )
    for invoice_id in pending:
        enqueue("finance.tasks.send_invoice_email", invoice_id=invoice_id)
    return len(pending)
