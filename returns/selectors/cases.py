"""Reads of after-sales cases, callbacks and repeat customers (复购客户)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db.models import (
    Count,
    IntegerField,
    Max,
    Min,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce

from ecomops.calendar import day_start
from orders.models import Customer, OrderState

from ..models import AfterSalesCase, Callback, ReturnRequest

# Orders that count for a customer's history: everything but cancelled ones.
_LIVE_ORDER = ~Q(orders__state=OrderState.CANCELLED)


def case_list(
    *, q: str = "", state: str = "", owner_id: int | None = None
) -> QuerySet[AfterSalesCase]:
    """Cases newest first; ``q`` looks in the number, the problem, the customer's name and
    phone and the order number."""
    qs = AfterSalesCase.objects.select_related("customer", "order", "owner")
    if state:
        qs = qs.filter(state=state)
    if owner_id is not None:
        qs = qs.filter(owner_id=owner_id)
    q = q.strip()
    if q:
        qs = qs.filter(
            Q(number__icontains=q)
            | Q(problem__icontains=q)
            | Q(customer__name__icontains=q)
            | Q(customer__phone__icontains=q)
            | Q(order__number__icontains=q)
        )
    return qs.order_by("-opened_at", "-pk")


def case_detail(pk: int) -> AfterSalesCase:
    """One case with its customer, order, return request, people and callbacks."""
    return (
        AfterSalesCase.objects.select_related(
            "customer", "order", "return_request", "owner", "opened_by"
        )
        .prefetch_related(
            Prefetch(
                "callbacks",
                queryset=Callback.objects.select_related("owner").order_by("scheduled_at", "pk"),
            )
        )
        .get(pk=pk)
    )


def case_owners() -> QuerySet[Any]:
    """Active colleagues who may own a case or a callback (they hold ``handle_case``)."""
    handle = Q(permissions__codename="handle_case", permissions__content_type__app_label="returns")
    return (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(
            Q(is_superuser=True)
            | Q(groups__in=_groups_with(handle))
            | Q(
                user_permissions__codename="handle_case",
                user_permissions__content_type__app_label="returns",
            )
        )
        .distinct()
        .order_by("last_name", "first_name", "username")
    )


def _groups_with(condition: Q) -> QuerySet[Any]:
    return Group.objects.filter(condition).values("pk")


# --- Callbacks ---------------------------------------------------------------------------


def _callbacks(owner: Any = None) -> QuerySet[Callback]:
    qs = Callback.objects.filter(done_at__isnull=True).select_related(
        "customer", "case", "order", "owner"
    )
    if owner is not None:
        qs = qs.filter(owner=owner)
    return qs


def callbacks_due_on(day: date, owner: Any = None) -> QuerySet[Callback]:
    """Callbacks to make on ``day``: those scheduled that day and the earlier ones still not
    made (overdue), earliest first."""
    end = day_start(day + timedelta(days=1))
    return _callbacks(owner).filter(scheduled_at__lt=end).order_by("scheduled_at", "pk")


def callbacks_upcoming(day: date, owner: Any = None) -> QuerySet[Callback]:
    """Callbacks scheduled after ``day``, earliest first."""
    end = day_start(day + timedelta(days=1))
    return _callbacks(owner).filter(scheduled_at__gte=end).order_by("scheduled_at", "pk")


def callbacks_done_on(day: date, owner: Any = None) -> QuerySet[Callback]:
    """Callbacks made on ``day``, latest first."""
    qs = Callback.objects.filter(
        done_at__gte=day_start(day), done_at__lt=day_start(day + timedelta(days=1))
    ).select_related("customer", "case", "order", "owner")
    if owner is not None:
        qs = qs.filter(owner=owner)
    return qs.order_by("-done_at", "-pk")


def callback_detail(pk: int) -> Callback:
    return Callback.objects.select_related("customer", "case", "order", "owner", "created_by").get(
        pk=pk
    )


def callbacks_due_count(day: date, owner: Any = None) -> int:
    return callbacks_due_on(day, owner).count()


# --- Repeat customers --------------------------------------------------------------------


def repeat_customers(*, q: str = "") -> QuerySet[Customer]:
    """Customers with two or more orders that were not cancelled, with their figures:
    ``order_count``, ``total_amount``, ``first_order_at``, ``last_order_at`` (over those
    orders) and ``return_count`` (their return requests). One query, however many rows."""
    returns = (
        ReturnRequest.objects.filter(customer=OuterRef("pk"))
        .order_by()
        .values("customer")
        .annotate(n=Count("pk"))
        .values("n")
    )
    qs = Customer.objects.annotate(
        order_count=Count("orders", filter=_LIVE_ORDER),
        total_amount=Sum("orders__total_amount", filter=_LIVE_ORDER),
        first_order_at=Min("orders__placed_at", filter=_LIVE_ORDER),
        last_order_at=Max("orders__placed_at", filter=_LIVE_ORDER),
        return_count=Coalesce(
            Subquery(returns, output_field=IntegerField()), Value(0), output_field=IntegerField()
        ),
    ).filter(order_count__gte=2)
    q = q.strip()
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(phone__icontains=q))
    return qs.order_by("-order_count", "-last_order_at", "pk")
