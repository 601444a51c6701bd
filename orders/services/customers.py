"""Customer master data and identification (DESIGN §5, Order: identified).

The sales rep confirms one of the ranked candidates (correcting the master data where the
order shows it is wrong), or creates a new customer from the order; duplicates found later
are merged. Every correction keeps the old value in the customer's history.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ecomops.accounts.selectors import acting_user
from ecomops.bulk import update_column
from ecomops.errors import (
    ApplicationError,
    ConflictError,
    PermissionDeniedError,
    require_permission,
)
from ecomops.fsm import bulk_transition_rows
from ecomops.validators import normalize_credit_code, normalize_resident_id

from ..models import CUSTOMER_FIELDS, Customer, CustomerChange, Order, OrderState
from .clocks import clocks_on_identified_many
from .intake import FieldErrorCollector, check_customer, normalize_phone
from .orders import BulkResult, cannot_message, locked_orders

PERMISSION = "orders.identify_customer"


class CustomerError(ApplicationError):
    """Customer data that breaks a rule; ``extra["fields"]`` says which field."""


def _clean(data: dict[str, Any]) -> dict[str, str]:
    cleaned = {key: str(data.get(key) or "").strip() for key in CUSTOMER_FIELDS}
    cleaned["phone"] = normalize_phone(cleaned["phone"])
    cleaned["id_number"] = normalize_resident_id(cleaned["id_number"])
    cleaned["credit_code"] = normalize_credit_code(cleaned["credit_code"])
    cleaned["invoice_tax_id"] = normalize_credit_code(cleaned["invoice_tax_id"])
    return cleaned


def _validated(data: dict[str, Any]) -> dict[str, str]:
    cleaned = _clean(data)
    errors = FieldErrorCollector()
    check_customer(errors, cleaned, prefix="")
    if errors.fields:
        raise CustomerError(_("The customer's details are not valid."), {"fields": errors.fields})
    return cleaned


def customer_create(*, data: dict[str, Any], by: Any) -> Customer:
    """A new customer from checked master data."""
    require_permission(by, PERMISSION, _("You are not allowed to identify or edit customers."))
    cleaned = _validated(data)
    with transaction.atomic():
        customer = Customer.objects.create(**cleaned)
        CustomerChange.objects.create(
            customer=customer,
            field="created",
            new_value=customer.name,
            changed_by=acting_user(by),
        )
    return customer


def customer_update(
    *, customer_id: int, changes: dict[str, Any], by: Any, reason: str = ""
) -> Customer:
    """Correct a customer's master data; each changed field's old value goes to the history."""
    require_permission(by, PERMISSION, _("You are not allowed to identify or edit customers."))
    with transaction.atomic():
        customer = Customer.objects.select_for_update().get(pk=customer_id)
        if customer.merged_into_id:
            raise ConflictError(
                _("%(customer)s was merged into another customer: edit that one.")
                % {"customer": customer}
            )
        current = {key: getattr(customer, key) for key in CUSTOMER_FIELDS}
        wanted = _validated({**current, **{k: v for k, v in changes.items() if k in current}})
        changed = [key for key in CUSTOMER_FIELDS if wanted[key] != current[key]]
        if not changed:
            return customer
        CustomerChange.objects.bulk_create(
            [
                CustomerChange(
                    customer=customer,
                    field=key,
                    old_value=current[key],
                    new_value=wanted[key],
                    reason=reason,
                    changed_by=acting_user(by),
                )
                for key in changed
            ]
        )
        for key in changed:
            setattr(customer, key, wanted[key])
        customer.save(update_fields=[*changed, "updated_at"])
    return customer


def order_identify(
    *,
    order_id: int,
    customer_id: int,
    by: Any,
    corrections: dict[str, Any] | None = None,
    reason: str = "",
) -> Order:
    """The rep confirms ``customer_id`` as the order's customer, correcting it if asked.

    Idempotent: an order already identified as that customer is returned unchanged.
    """
    require_permission(by, PERMISSION, _("You are not allowed to identify or edit customers."))
    with transaction.atomic():
        _raise_first(
            _identify_pairs([(order_id, customer_id, corrections)], by=by, reason=reason),
            order_id,
        )
        return Order.objects.get(pk=order_id)


def order_identify_new_customer(
    *, order_id: int, by: Any, data: dict[str, Any] | None = None
) -> Order:
    """The order's customer is new: create it from the order's details (or ``data``)."""
    require_permission(by, PERMISSION, _("You are not allowed to identify or edit customers."))
    with transaction.atomic():
        _raise_first(_identify_new([order_id], by=by, data=data), order_id)
        return Order.objects.get(pk=order_id)


def orders_identify_new_customers(*, order_ids: Iterable[int], by: Any) -> BulkResult:
    """``order_identify_new_customer`` for many orders of the rep's queue, set-based.

    Each received order gets a new customer made from its details, checked as one would be
    (an order whose details are not valid is refused with the message, the others go on),
    recorded in the customer's history, and the order is identified as that customer:
    state log row, identification clock stopped and sales-order clock started. Orders not
    received are refused as the single service refuses them. One transaction, and a fixed
    number of statements up to 1,000 orders (the customers and their history rows are
    inserted in batches of 1,000; SQLite, which binds at most 999 values a statement, takes
    the customers 52 at a time).
    """
    outcome = _identify_new(order_ids, by=by)
    return _bulk_result(outcome)


def orders_identify_many(
    *,
    pairs: Iterable[tuple[int, int, dict[str, Any] | None]],
    by: Any,
    reason: str = "",
) -> BulkResult:
    """``order_identify`` for many (order id, customer id, corrections) at once, set-based.

    Each order is identified as its chosen customer, with the corrections applied to that
    customer (old values kept in its history) exactly as one at a time would do; an order
    already identified as that customer counts as done; a refusal (unknown or merged
    customer, a correction that is not valid, an order not received) is reported for its
    order and the others go on. One transaction, a fixed number of statements up to 1,000.
    """
    return _bulk_result(_identify_pairs(pairs, by=by, reason=reason))


# --- The set-based core the single and bulk services share ---------------------------------


@dataclass
class _Outcome:
    """Per order of a set-based identification: its number, and the refusal if any."""

    numbers: dict[int, str] = field(default_factory=dict)
    refused: dict[int, ApplicationError] = field(default_factory=dict)


def _bulk_result(outcome: _Outcome) -> BulkResult:
    result = BulkResult()
    for pk in sorted(outcome.numbers):
        number = outcome.numbers[pk]
        if pk in outcome.refused:
            result.refused[number] = outcome.refused[pk].message
        else:
            result.done.append(number)
    return result


def _raise_first(outcome: _Outcome, order_id: int) -> None:
    if order_id not in outcome.numbers:
        raise Order.DoesNotExist(f"Order {order_id} does not exist.")
    if order_id in outcome.refused:
        raise outcome.refused[order_id]


def _denied(by: Any) -> PermissionDeniedError | None:
    try:
        require_permission(by, PERMISSION, _("You are not allowed to identify or edit customers."))
    except PermissionDeniedError as exc:
        return exc
    return None


def _identify_new(
    order_ids: Iterable[int], *, by: Any, data: dict[str, Any] | None = None
) -> _Outcome:
    outcome = _Outcome()
    with transaction.atomic():
        rows = locked_orders(order_ids, "customer_data")
        denied = _denied(by)
        new: list[tuple[int, Customer]] = []
        for pk, number, state, customer_data in rows:
            outcome.numbers[pk] = number
            if denied is not None:
                outcome.refused[pk] = denied
                continue
            if state != OrderState.RECEIVED:
                outcome.refused[pk] = ConflictError(
                    _("Order %(number)s is already identified.") % {"number": number}
                )
                continue
            try:
                cleaned = _validated({**(customer_data or {}), **(data or {})})
            except CustomerError as exc:
                outcome.refused[pk] = exc
                continue
            new.append((pk, Customer(**cleaned)))
        if not new:
            return outcome
        customers = Customer.objects.bulk_create([c for _pk, c in new], batch_size=1000)
        actor = acting_user(by)
        CustomerChange.objects.bulk_create(
            [
                CustomerChange(
                    customer=customer, field="created", new_value=customer.name, changed_by=actor
                )
                for customer in customers
            ],
            batch_size=1000,
        )
        _identify_rows(
            {pk: customer.pk for (pk, _c), customer in zip(new, customers, strict=True)},
            by=by,
            reason=_("New customer created from the order."),
        )
    return outcome


def _identify_pairs(
    pairs: Iterable[tuple[int, int, dict[str, Any] | None]], *, by: Any, reason: str
) -> _Outcome:
    outcome = _Outcome()
    wanted = {order_id: (customer_id, corrections) for order_id, customer_id, corrections in pairs}
    with transaction.atomic():
        rows = locked_orders(wanted, "customer_id")
        denied = _denied(by)
        if denied is not None:
            for pk, number, _state, _customer in rows:
                outcome.numbers[pk] = number
                outcome.refused[pk] = denied
            return outcome
        # Lock the chosen customers in one order (by pk), as one correction would lock its own.
        customers = {
            c.pk: c
            for c in Customer.objects.select_for_update()
            .filter(pk__in={customer_id for customer_id, _c in wanted.values()})
            .order_by("pk")
        }
        actor = acting_user(by)
        history: list[CustomerChange] = []
        corrected: dict[int, set[str]] = {}
        chosen: dict[int, int] = {}
        for pk, number, state, customer_id in rows:
            outcome.numbers[pk] = number
            target_id, corrections = wanted[pk]
            if state != OrderState.RECEIVED and customer_id == target_id:
                continue  # already identified as this customer: nothing to do
            try:
                customer = _chosen(customers.get(target_id))
                changes = _corrections(customer, corrections or {})
                if state != OrderState.RECEIVED:
                    raise ConflictError(cannot_message("identify", number, state))
            except ApplicationError as exc:
                outcome.refused[pk] = exc
                continue
            why = reason or _("Corrected from order %(number)s.") % {"number": number}
            for key, (old, new) in changes.items():
                history.append(
                    CustomerChange(
                        customer=customer,
                        field=key,
                        old_value=old,
                        new_value=new,
                        reason=why,
                        changed_by=actor,
                    )
                )
                setattr(customer, key, new)
            if changes:
                corrected.setdefault(customer.pk, set()).update(changes)
            chosen[pk] = customer.pk
        if history:
            CustomerChange.objects.bulk_create(history, batch_size=1000)
            now = timezone.now()
            fields: set[str] = set()
            for pk in corrected:
                customers[pk].updated_at = now
                fields |= corrected[pk]
            Customer.objects.bulk_update(
                [customers[pk] for pk in sorted(corrected)],
                [*sorted(fields), "updated_at"],
                batch_size=1000,
            )
        _identify_rows(chosen, by=by, reason=reason)
    return outcome


def _chosen(customer: Customer | None) -> Customer:
    if customer is None:
        raise CustomerError(
            _("Choose the customer."), {"fields": {"customer": [_("Unknown customer.")]}}
        )
    if customer.merged_into_id:
        raise ConflictError(
            _("%(customer)s was merged into another customer: choose that one.")
            % {"customer": customer}
        )
    return customer


def _corrections(customer: Customer, changes: dict[str, Any]) -> dict[str, tuple[str, str]]:
    """{field: (old, new)} of the corrections that change ``customer``, checked as
    ``customer_update`` checks them (``CustomerError`` if the result is not valid)."""
    if not changes:
        return {}
    current = {key: getattr(customer, key) for key in CUSTOMER_FIELDS}
    wanted = _validated({**current, **{k: v for k, v in changes.items() if k in current}})
    return {
        key: (current[key], wanted[key]) for key in CUSTOMER_FIELDS if wanted[key] != current[key]
    }


def _identify_rows(customer_of: dict[int, int], *, by: Any, reason: str) -> list[int]:
    """Identify received orders as the customers given ({order id: customer id}).

    ``Order.identify`` sets the same state, time and flag on every row, so those go through
    ``bulk_transition_rows`` (guarded UPDATE, state-log rows, who and why); the customer,
    the one value that differs, follows (``ecomops.bulk.update_column``). Then the clocks move as
    ``clocks_on_identified`` moves them.
    """
    if not customer_of:
        return []
    now = timezone.now()
    moved = bulk_transition_rows(
        Order,
        customer_of,
        "identify",
        by=by,
        reason=reason,
        update_fields=["identified_at", "identified_automatically"],
        customer=None,
        at=now,
    )
    update_column(Order, "customer", {pk: customer_of[pk] for pk in moved})
    clocks_on_identified_many(moved, at=now)
    return moved


def customer_merge(*, duplicate_id: int, into_id: int, by: Any, reason: str = "") -> Customer:
    """Merge a duplicate into the customer that stays: its orders move, history is kept.

    Fields the remaining customer lacks are taken from the duplicate (recorded as changes);
    the duplicate stays as a row pointing at the remaining customer.
    """
    require_permission(by, PERMISSION, _("You are not allowed to identify or edit customers."))
    if duplicate_id == into_id:
        raise CustomerError(_("A customer cannot be merged into itself."))
    actor = acting_user(by)
    with transaction.atomic():
        # Lock both rows in one order (by pk), so two opposite merges cannot deadlock.
        locked = {
            c.pk: c
            for c in Customer.objects.select_for_update()
            .filter(pk__in=[duplicate_id, into_id])
            .order_by("pk")
        }
        duplicate, target = locked[duplicate_id], locked[into_id]
        for customer in (duplicate, target):
            if customer.merged_into_id:
                raise ConflictError(
                    _("%(customer)s was already merged into another customer.")
                    % {"customer": customer}
                )
        if duplicate.kind != target.kind:
            raise CustomerError(
                _("An individual and a company cannot be merged."),
                {"fields": {"into": [_("Choose a customer of the same kind.")]}},
            )
        filled = [
            key for key in CUSTOMER_FIELDS if not getattr(target, key) and getattr(duplicate, key)
        ]
        history = [
            CustomerChange(
                customer=target,
                field=key,
                old_value="",
                new_value=getattr(duplicate, key),
                reason=_("Taken from merged duplicate #%(id)d.") % {"id": duplicate.pk},
                changed_by=actor,
            )
            for key in filled
        ]
        for key in filled:
            setattr(target, key, getattr(duplicate, key))
        moved = list(Order.objects.filter(customer=duplicate).values_list("number", flat=True))
        # Only the customer link moves; no order changes state here.
        Order.objects.filter(customer=duplicate).update(customer=target)
        Customer.objects.filter(merged_into=duplicate).update(merged_into=target)
        history += [
            CustomerChange(
                customer=target,
                field="merged",
                old_value=f"#{duplicate.pk} {duplicate.name}",
                new_value=", ".join(moved),
                reason=reason,
                changed_by=actor,
            ),
            CustomerChange(
                customer=duplicate,
                field="merged_into",
                old_value="",
                new_value=f"#{target.pk} {target.name}",
                reason=reason,
                changed_by=actor,
            ),
        ]
        CustomerChange.objects.bulk_create(history)
        target.save(update_fields=[*filled, "updated_at"])
        duplicate.merged_into = target
        duplicate.save(update_fields=["merged_into", "updated_at"])
    return target
