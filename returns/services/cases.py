"""After-sales cases (售后工单) and callbacks (回访).

A case is one customer problem: opened (by service, for a customer and maybe an order or a
return request), worked on by its owner, resolved with a resolution, closed, reopened when
the customer comes back. A callback is a call promised to a customer at a time; the minute
sweep reminds its owner once when it falls due, and again only if it is moved to a new time.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ecomops.accounts.selectors import acting_user
from ecomops.errors import (
    ApplicationError,
    ConflictError,
    require_permission,
)
from ecomops.fsm import transition
from ecomops.notifications.services import notify_users
from ecomops.numbering.services import next_number
from orders.models import Customer, Order

from ..models import (
    AfterSalesCase,
    Callback,
    CallbackOutcome,
    CaseCategory,
    CaseState,
    ReturnRequest,
)
from .training import require_cleared_for_customers

HANDLE_CASE = "returns.handle_case"
# Reminders are claimed and sent in batches that commit one by one (STYLE: big jobs).
REMIND_BATCH = 200


class CaseError(ApplicationError):
    """A case or a callback that cannot be recorded or moved on as asked."""


def _field_error(field: str, message: str, detail: str | None = None) -> CaseError:
    return CaseError(message, {"fields": {field: [detail or message]}})


def _clean_text(value: str, field: str, message: str) -> str:
    value = (value or "").strip()
    if not value:
        raise _field_error(field, message, _("This field is required."))
    return value


def _check_category(category: str) -> None:
    if category not in CaseCategory.values:
        raise _field_error("category", _("Choose a category."))


def _owner(owner_id: int | None, by: Any) -> Any:
    """The case's or callback's owner: the one given, else the acting user; they must be
    able to work on cases, or the reminder and the case would go to someone who cannot act."""
    if owner_id is None:
        owner = acting_user(by)
        if owner is None:
            raise _field_error("owner", _("Choose who owns it."))
        return owner
    owner = get_user_model().objects.filter(pk=owner_id, is_active=True).first()
    if owner is None or not owner.has_perm(HANDLE_CASE):
        raise _field_error(
            "owner",
            _("The owner must be an active colleague who works on after-sales cases."),
        )
    return owner


def _customer_order(customer_id: int, order_id: int | None) -> tuple[Customer, Order | None]:
    """Lock the customer (a merge must not move it under us) and check the order is theirs."""
    customer = Customer.objects.select_for_update().filter(pk=customer_id).first()
    if customer is None:
        raise _field_error("customer", _("No such customer."))
    if order_id is None:
        return customer, None
    order = Order.objects.filter(pk=order_id).first()
    if order is None:
        raise _field_error("order", _("No such order."))
    if order.customer_id != customer.pk:
        raise _field_error(
            "order",
            _("Order %(order)s is not an order of %(customer)s.")
            % {"order": order.number, "customer": customer.name},
        )
    return customer, order


def _notify_owner(subject: AfterSalesCase | Callback, owner: Any, by: Any, title: str) -> None:
    if owner is None or (by is not None and owner.pk == by.pk):
        return
    notify_users(
        users=[owner],
        title=title,
        url=subject.get_absolute_url(),
        key=f"{type(subject).__name__.lower()}-owner-{subject.pk}-{owner.pk}",
    )


# --- Cases -------------------------------------------------------------------------------


def case_open(
    *,
    customer_id: int,
    category: str,
    problem: str,
    order_id: int | None = None,
    return_request_id: int | None = None,
    owner_id: int | None = None,
    by: Any,
) -> AfterSalesCase:
    """Open a case for a customer's problem; the owner is the one who opens it unless
    another colleague is named (who is then notified)."""
    require_permission(by, HANDLE_CASE)
    require_cleared_for_customers(by)
    _check_category(category)
    problem = _clean_text(problem, "problem", _("Describe the customer's problem."))
    owner = _owner(owner_id, by)
    with transaction.atomic():
        customer, order = _customer_order(customer_id, order_id)
        return_request = None
        if return_request_id is not None:
            return_request = (
                ReturnRequest.objects.select_related("order").filter(pk=return_request_id).first()
            )
            if return_request is None:
                raise _field_error("return_request", _("No such return request."))
            request_customer = return_request.customer_id or return_request.order.customer_id
            if request_customer != customer.pk or (
                order is not None and return_request.order_id != order.pk
            ):
                raise _field_error(
                    "return_request",
                    _("Return request %(number)s is not about this customer and order.")
                    % {"number": return_request.number},
                )
            order = order or return_request.order
        case = AfterSalesCase.objects.create(
            number=next_number("AS"),
            customer=customer,
            order=order,
            return_request=return_request,
            category=category,
            problem=problem,
            owner=owner,
            opened_at=timezone.now(),
            opened_by=acting_user(by),
        )
        _notify_owner(
            case,
            owner,
            by,
            _("After-sales case %(number)s for %(customer)s is yours")
            % {"number": case.number, "customer": customer.name},
        )
    return case


def case_update(
    *,
    case_id: int,
    category: str,
    problem: str,
    cause: str,
    owner_id: int,
    by: Any,
) -> AfterSalesCase:
    """Correct what the case is about, record the cause found so far, or hand it over."""
    require_permission(by, HANDLE_CASE)
    _check_category(category)
    problem = _clean_text(problem, "problem", _("Describe the customer's problem."))
    owner = _owner(owner_id, by)
    with transaction.atomic():
        case = AfterSalesCase.objects.select_for_update().get(pk=case_id)
        if case.state == CaseState.CLOSED:
            raise ConflictError(
                _("Case %(number)s is closed: reopen it to change it.") % {"number": case.number}
            )
        handed_over = case.owner_id != owner.pk
        case.category = category
        case.problem = problem
        case.cause = (cause or "").strip()
        case.owner = owner
        case.save(update_fields=["category", "problem", "cause", "owner"])
        if handed_over:
            _notify_owner(
                case,
                owner,
                by,
                _("After-sales case %(number)s was handed over to you") % {"number": case.number},
            )
    return case


def case_resolve(*, case_id: int, cause: str, resolution: str, by: Any) -> AfterSalesCase:
    """Record how the problem was solved; resolving a resolved case changes nothing."""
    require_permission(by, HANDLE_CASE)
    resolution = _clean_text(
        resolution, "resolution", _("Say how the problem was resolved before resolving the case.")
    )
    with transaction.atomic():
        case = AfterSalesCase.objects.select_for_update().get(pk=case_id)
        if case.state == CaseState.RESOLVED:
            return case
        transition(
            case,
            "resolve",
            by=by,
            reason=resolution,
            update_fields=["resolved_at", "cause", "resolution"],
            at=timezone.now(),
            cause=(cause or "").strip() or case.cause,
            resolution=resolution,
        )
    return case


def case_close(*, case_id: int, by: Any) -> AfterSalesCase:
    """Close a resolved case (the customer agreed, or did not come back)."""
    require_permission(by, HANDLE_CASE)
    with transaction.atomic():
        case = AfterSalesCase.objects.select_for_update().get(pk=case_id)
        if case.state == CaseState.CLOSED:
            return case
        transition(case, "close", by=by, update_fields=["closed_at"], at=timezone.now())
    return case


def case_reopen(*, case_id: int, reason: str, by: Any) -> AfterSalesCase:
    """The customer came back: the case is open again, and the reason is on its timeline."""
    require_permission(by, HANDLE_CASE)
    reason = _clean_text(reason, "reason", _("Say why the case is reopened."))
    with transaction.atomic():
        case = AfterSalesCase.objects.select_for_update().get(pk=case_id)
        if case.state == CaseState.OPEN:
            return case
        transition(case, "reopen", by=by, reason=reason, update_fields=["resolved_at", "closed_at"])
    return case


# --- Callbacks ---------------------------------------------------------------------------


def _check_time(scheduled_at: datetime) -> datetime:
    if scheduled_at is None:
        raise _field_error("scheduled_at", _("Choose when to call."))
    if timezone.is_naive(scheduled_at):
        scheduled_at = timezone.make_aware(scheduled_at)
    # The form gives minutes: the current minute is still "now", not the past.
    if scheduled_at < timezone.now().replace(second=0, microsecond=0):
        raise _field_error(
            "scheduled_at",
            _("The time to call is in the past: choose a time from now on."),
        )
    return scheduled_at


def callback_schedule(
    *,
    customer_id: int,
    purpose: str,
    scheduled_at: datetime,
    case_id: int | None = None,
    order_id: int | None = None,
    owner_id: int | None = None,
    by: Any,
) -> Callback:
    """Promise the customer a call at ``scheduled_at``; its owner is reminded when due."""
    require_permission(by, HANDLE_CASE)
    purpose = _clean_text(purpose, "purpose", _("Say what the call is for."))
    scheduled_at = _check_time(scheduled_at)
    owner = _owner(owner_id, by)
    with transaction.atomic():
        case = None
        if case_id is not None:
            case = AfterSalesCase.objects.filter(pk=case_id).first()
            if case is None:
                raise _field_error("case", _("No such case."))
            if case.customer_id != customer_id:
                raise _field_error(
                    "case",
                    _("Case %(number)s is about another customer.") % {"number": case.number},
                )
            if order_id is None:
                order_id = case.order_id
        customer, order = _customer_order(customer_id, order_id)
        callback = Callback.objects.create(
            customer=customer,
            case=case,
            order=order,
            purpose=purpose,
            scheduled_at=scheduled_at,
            owner=owner,
            created_by=acting_user(by),
        )
        _notify_owner(
            callback,
            owner,
            by,
            _("Call %(customer)s on %(when)s")
            % {
                "customer": customer.name,
                "when": timezone.localtime(scheduled_at).strftime("%m-%d %H:%M"),
            },
        )
    return callback


def callback_record(*, callback_id: int, outcome: str, note: str, by: Any) -> Callback:
    """The call was made (or tried): record how it went. Recorded once only."""
    require_permission(by, HANDLE_CASE)
    require_cleared_for_customers(by)
    if outcome not in CallbackOutcome.values:
        raise _field_error("outcome", _("Choose how the call went."))
    with transaction.atomic():
        callback = Callback.objects.select_for_update().get(pk=callback_id)
        if callback.is_done:
            raise ConflictError(
                _("This callback was already recorded as “%(outcome)s”.")
                % {"outcome": callback.get_outcome_display()}
            )
        callback.done_at = timezone.now()
        callback.outcome = outcome
        callback.outcome_note = (note or "").strip()
        callback.save(update_fields=["done_at", "outcome", "outcome_note"])
    return callback


def callback_reschedule(*, callback_id: int, scheduled_at: datetime, by: Any) -> Callback:
    """Move a callback not made yet; its owner is reminded again at the new time."""
    require_permission(by, HANDLE_CASE)
    scheduled_at = _check_time(scheduled_at)
    with transaction.atomic():
        callback = Callback.objects.select_for_update().get(pk=callback_id)
        if callback.is_done:
            raise ConflictError(_("This callback was already made: schedule a new one."))
        callback.scheduled_at = scheduled_at
        callback.reminded_at = None
        callback.save(update_fields=["scheduled_at", "reminded_at"])
    return callback


def callbacks_remind_due(*, now: datetime | None = None) -> int:
    """Remind each owner once of their callbacks that fell due; returns how many.

    Rows are claimed under ``skip_locked`` so two sweeps never take the same callback, and
    the notification key names the scheduled time, so a repeat of the same reminder is
    ignored while a rescheduled callback is reminded again.
    """
    now = now or timezone.now()
    reminded = 0
    while True:
        with transaction.atomic():
            batch = list(
                Callback.objects.select_for_update(skip_locked=True, of=("self",))
                .filter(done_at__isnull=True, reminded_at__isnull=True, scheduled_at__lte=now)
                .select_related("customer", "owner")
                .order_by("pk")[:REMIND_BATCH]
            )
            for callback in batch:
                notify_users(
                    users=[callback.owner],
                    title=_("Callback due: %(customer)s %(phone)s")
                    % {"customer": callback.customer.name, "phone": callback.customer.phone},
                    body=callback.purpose,
                    url=callback.get_absolute_url(),
                    level="warning",
                    key=f"callback-due-{callback.pk}-{int(callback.scheduled_at.timestamp())}",
                )
            Callback.objects.filter(pk__in=[c.pk for c in batch]).update(reminded_at=now)
        reminded += len(batch)
        if len(batch) < REMIND_BATCH:
            return reminded
