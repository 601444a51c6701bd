"""Customer master data and identification (DESIGN §5, Order: identified).

The sales rep confirms one of the ranked candidates (correcting the master data where the
order shows it is wrong), or creates a new customer from the order; duplicates found later
are merged. Every correction keeps the old value in the customer's history.
"""

from __future__ import annotations

from typing import Any

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
from ecomops.validators import normalize_credit_code, normalize_resident_id

from ..models import CUSTOMER_FIELDS, Customer, CustomerChange, Order, OrderState
from .clocks import clocks_on_identified
from .intake import FieldErrorCollector, check_customer, normalize_phone

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


def _lock_order(order_id: int) -> Order:
    return Order.objects.select_for_update().get(pk=order_id)


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
        order = _lock_order(order_id)
        if order.state != OrderState.RECEIVED and order.customer_id == customer_id:
            return order
        customer = Customer.objects.filter(pk=customer_id).first()
        if customer is None:
            raise CustomerError(
                _("Choose the customer."), {"fields": {"customer": [_("Unknown customer.")]}}
            )
        if customer.merged_into_id:
            raise ConflictError(
                _("%(customer)s was merged into another customer: choose that one.")
                % {"customer": customer}
            )
        if corrections:
            customer = customer_update(
                customer_id=customer.pk,
                changes=corrections,
                by=by,
                reason=reason or _("Corrected from order %(number)s.") % {"number": order.number},
            )
        now = timezone.now()
        transition(
            order,
            "identify",
            by=by,
            reason=reason,
            update_fields=["customer", "identified_at", "identified_automatically"],
            customer=customer,
            at=now,
        )
        clocks_on_identified(order, at=now)
    return order


def order_identify_new_customer(
    *, order_id: int, by: Any, data: dict[str, Any] | None = None
) -> Order:
    """The order's customer is new: create it from the order's details (or ``data``)."""
    require_permission(by, PERMISSION, _("You are not allowed to identify or edit customers."))
    with transaction.atomic():
        order = _lock_order(order_id)
        if order.state != OrderState.RECEIVED:
            raise ConflictError(
                _("Order %(number)s is already identified.") % {"number": order.number}
            )
        details = {**order.customer_data, **(data or {})}
        customer = customer_create(data=details, by=by)
        return order_identify(
            order_id=order.pk,
            customer_id=customer.pk,
            by=by,
            reason=_("New customer created from the order."),
        )


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
