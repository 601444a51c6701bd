"""Portal pages of the order process; each POST calls one service."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views.decorators.http import require_POST

from ecomops.errors import ApplicationError
from ecomops.forms import add_service_errors

from .. import selectors, services
from ..forms import (
    BulkForm,
    CustomerForm,
    CustomerSearchForm,
    HoldForm,
    ImportForm,
    ImportMappingForm,
    ManualOrderForm,
    MappingForm,
    MergeForm,
    OrderSearchForm,
    ReasonForm,
)
from ..models import Channel, ChannelSkuMapping, Customer, Order, OrderImport

# --- Sales rep's queue ---------------------------------------------------------------------


def _queue_context() -> dict[str, Any]:
    return {
        "to_identify": list(selectors.identification_queue()[:200]),
        "to_confirm": list(selectors.confirmation_queue()[:200]),
        "on_hold": list(selectors.on_hold_orders()[:200]),
    }


@login_required
@permission_required("orders.confirm_order", raise_exception=True)
def queue(request: HttpRequest) -> HttpResponse:
    """Identification and confirmation, least time left first; refreshed by htmx."""
    context = _queue_context()
    ids = [o.pk for key in ("to_identify", "to_confirm", "on_hold") for o in context[key]]
    form = BulkForm(request.POST or None, order_ids=ids, auto_id="bulk-%s")
    if request.method == "POST":
        if form.is_valid():
            _run_bulk(request, form.cleaned_data)
            return redirect("orders:queue")
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, str(message))
    template = "orders/_queue_tables.html" if request.htmx else "orders/queue.html"  # type: ignore[attr-defined]
    return render(request, template, {**context, "bulk_form": form})


def _run_bulk(request: HttpRequest, data: dict[str, Any]) -> None:
    action: Callable[..., Order]
    extra: dict[str, Any] = {}
    if data["action"] == "confirm":
        action = services.order_confirm
    elif data["action"] == "hold":
        action = services.order_hold
        extra = {"kind": data["kind"], "reason": data["reason"]}
    else:
        action = services.order_release_hold
        extra = {"reason": data.get("reason", "")}
    result = services.orders_bulk(order_ids=data["orders"], action=action, by=request.user, **extra)
    if result.done:
        messages.success(
            request,
            _("Done for %(count)d orders: %(numbers)s")
            % {"count": len(result.done), "numbers": ", ".join(result.done)},
        )
    for number, reason in result.refused.items():
        messages.error(request, f"{number}: {reason}")


# --- Orders ----------------------------------------------------------------------------------


@login_required
@permission_required("orders.view_order", raise_exception=True)
def order_list(request: HttpRequest) -> HttpResponse:
    form = OrderSearchForm(request.GET or None)
    filters: dict[str, Any] = {}
    if form.is_valid():
        data = form.cleaned_data
        filters = {
            "q": data["q"],
            "channel_id": data["channel"].pk if data["channel"] else None,
            "state": data["state"],
            "date_from": data["date_from"],
            "date_to": data["date_to"],
        }
    page = Paginator(selectors.order_search(**filters), 50).get_page(request.GET.get("page"))
    return render(request, "orders/order_list.html", {"form": form, "page": page})


@login_required
@permission_required("orders.view_order", raise_exception=True)
def order_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        order = selectors.order_detail(pk)
    except Order.DoesNotExist:
        raise Http404 from None
    candidates = selectors.identification_candidates(order) if order.state == "received" else []
    return render(
        request,
        "orders/order_detail.html",
        {
            "order": order,
            "lines": order.lines.all(),
            "pushes": order.pushes.all(),
            "platform_events": order.platform_events.all(),
            "candidates": candidates,
            "hold_form": HoldForm(),
            "reason_form": ReasonForm(),
            "customer_data": [
                (getattr(Customer._meta.get_field(k), "verbose_name", k), v)
                for k, v in (order.customer_data or {}).items()
                if v and k != "kind"
            ],
            "can_act": request.user.has_perm("orders.confirm_order"),
            # A platform-funded voucher: the buyer paid less than the total.
            "platform_funded": (
                order.total_amount - order.paid_amount if order.paid_at is not None else None
            ),
        },
    )


def _int(value: str) -> int:
    return int(value) if value.isdigit() else 0


def _act(request: HttpRequest, call: Callable[[], Any], done: str) -> None:
    try:
        call()
    except ApplicationError as exc:
        messages.error(request, exc.message)
        for field_messages in exc.extra.get("fields", {}).values():
            for message in field_messages:
                messages.error(request, message)
    else:
        messages.success(request, done)


# The steps posted to ``order_action``: the service call (from the request and the order)
# and what to say when it is done. The transitions and services check who may.
OrderStep = tuple[Callable[[HttpRequest, Order], Any], str]


def _with_reason(service: Callable[..., Any]) -> Callable[[HttpRequest, Order], Any]:
    """A step whose service takes the order and the reason typed with it."""
    return lambda request, order: service(
        order_id=order.pk, by=request.user, reason=request.POST.get("reason", "")
    )


ORDER_ACTIONS: dict[str, OrderStep] = {
    "identify": (
        lambda request, order: services.order_identify(
            order_id=order.pk, customer_id=_int(request.POST.get("customer", "")), by=request.user
        ),
        gettext_noop("The customer is identified."),
    ),
    "identify-new": (
        lambda request, order: services.order_identify_new_customer(
            order_id=order.pk, by=request.user
        ),
        gettext_noop("A new customer was created from the order."),
    ),
    "confirm": (
        lambda request, order: services.order_confirm(order_id=order.pk, by=request.user),
        gettext_noop("Order %(number)s is confirmed."),
    ),
    "hold": (
        lambda request, order: services.order_hold(
            order_id=order.pk,
            by=request.user,
            kind=request.POST.get("kind", ""),
            reason=request.POST.get("reason", ""),
        ),
        gettext_noop("Order %(number)s is on hold."),
    ),
    "release-hold": (
        _with_reason(services.order_release_hold),
        gettext_noop("Order %(number)s is released from hold."),
    ),
    "cancel": (
        _with_reason(services.order_cancel),
        gettext_noop("Order %(number)s is cancelled."),
    ),
    "request-cancellation": (
        _with_reason(services.order_cancellation_request),
        gettext_noop("The warehouse is asked to stop order %(number)s."),
    ),
    "note": (
        lambda request, order: services.order_note_add(
            order_id=order.pk, by=request.user, text=request.POST.get("text", "")
        ),
        gettext_noop("Note added."),
    ),
}


@login_required
@require_POST
def order_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    order = get_object_or_404(Order, pk=pk)
    if action not in ORDER_ACTIONS:
        raise Http404
    run, done = ORDER_ACTIONS[action]
    _act(request, lambda: run(request, order), _(done) % {"number": order.number})
    return redirect(order)


@login_required
@permission_required("orders.key_in_order", raise_exception=True)
def order_new(request: HttpRequest) -> HttpResponse:
    """Key in an order (phone, WeChat): the same checks as a channel push."""
    form = ManualOrderForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        channel = form.cleaned_data["channel"]
        try:
            result = services.order_key_in(channel=channel, data=form.payload(), by=request.user)
        except ApplicationError as exc:
            form.add_intake_errors(exc.extra.get("fields", {}))
            if not exc.extra.get("fields"):
                form.add_error(None, exc.message)
        else:
            messages.success(
                request, _("Order %(number)s is recorded.") % {"number": result.order.number}
            )
            return redirect(result.order)
    return render(request, "orders/order_new.html", {"form": form})


# --- Customers -------------------------------------------------------------------------------


@login_required
@permission_required("orders.view_customer", raise_exception=True)
def customer_list(request: HttpRequest) -> HttpResponse:
    form = CustomerSearchForm(request.GET or None)
    q, kind = "", ""
    if form.is_valid():
        q, kind = form.cleaned_data["q"], form.cleaned_data["kind"]
    page = Paginator(selectors.customer_search(q, kind), 50).get_page(request.GET.get("page"))
    return render(request, "orders/customer_list.html", {"form": form, "page": page})


@login_required
@permission_required("orders.view_customer", raise_exception=True)
def repeat_customers(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.repeat_customers(), 50).get_page(request.GET.get("page"))
    return render(request, "orders/repeat_customers.html", {"page": page})


@login_required
@permission_required("orders.view_customer", raise_exception=True)
def customer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        customer = selectors.customer_detail(pk)
    except Customer.DoesNotExist:
        raise Http404 from None
    edit_form = CustomerForm(instance=customer, prefix="edit")
    merge_form = MergeForm(targets=selectors.merge_targets(customer), prefix="merge")
    if request.method == "POST":
        if "merge-into" in request.POST:
            merge_form = MergeForm(
                request.POST, targets=selectors.merge_targets(customer), prefix="merge"
            )
            if merge_form.is_valid():
                try:
                    target = services.customer_merge(
                        duplicate_id=customer.pk,
                        into_id=merge_form.cleaned_data["into"].pk,
                        by=request.user,
                        reason=merge_form.cleaned_data["reason"],
                    )
                except ApplicationError as exc:
                    add_service_errors(merge_form, exc)
                else:
                    messages.success(
                        request,
                        _("%(duplicate)s is merged into %(target)s.")
                        % {"duplicate": customer, "target": target},
                    )
                    return redirect(target)
        else:
            edit_form = CustomerForm(request.POST, instance=customer, prefix="edit")
            # The model form only parses; the service checks and records the history.
            edit_form.is_valid()
            data = {k: request.POST.get(f"edit-{k}", "") for k in edit_form.Meta.fields}
            try:
                services.customer_update(
                    customer_id=customer.pk,
                    changes=data,
                    by=request.user,
                    reason=request.POST.get("edit-reason", ""),
                )
            except ApplicationError as exc:
                edit_form.errors.clear()
                add_service_errors(edit_form, exc)
            else:
                messages.success(request, _("The customer's details are saved."))
                return redirect(customer)
    return render(
        request,
        "orders/customer_detail.html",
        {
            "customer": customer,
            "figures": selectors.customer_figures(customer),
            "orders": selectors.customer_orders(customer)[:100],
            "history": selectors.customer_history(customer)[:100],
            "edit_form": edit_form,
            "merge_form": merge_form,
            "can_edit": request.user.has_perm("orders.identify_customer")
            and not customer.merged_into_id,
        },
    )


# --- Channels --------------------------------------------------------------------------------


@login_required
@permission_required("orders.view_channel", raise_exception=True)
def channel_list(request: HttpRequest) -> HttpResponse:
    return render(request, "orders/channel_list.html", {"channels": selectors.channels()})


@login_required
@permission_required("orders.view_channel", raise_exception=True)
def channel_detail(request: HttpRequest, pk: int) -> HttpResponse:
    channel = get_object_or_404(Channel, pk=pk)
    form = MappingForm(request.POST or None)
    if request.method == "POST":
        if "rotate" in request.POST:
            _act(
                request,
                lambda: services.channel_secret_rotate(channel_id=channel.pk, by=request.user),
                _("A new signing secret is set: give it to the channel."),
            )
            return redirect(channel)
        if form.is_valid():
            try:
                services.channel_mapping_add(
                    channel_id=channel.pk, by=request.user, **form.cleaned_data
                )
            except ApplicationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("The mapping is saved."))
                return redirect(channel)
    return render(
        request,
        "orders/channel_detail.html",
        {
            "channel": channel,
            "mappings": selectors.channel_mappings(channel),
            "form": form,
            "can_manage": request.user.has_perm("orders.manage_channel"),
            "opening": selectors.shop_opening_of_channel(channel),
        },
    )


@login_required
@require_POST
def mapping_remove(request: HttpRequest, pk: int) -> HttpResponse:
    mapping = get_object_or_404(ChannelSkuMapping.objects.select_related("channel"), pk=pk)
    _act(
        request,
        lambda: services.channel_mapping_remove(mapping_id=pk, by=request.user),
        _("The mapping of %(code)s is removed.") % {"code": mapping.outer_id},
    )
    return redirect(mapping.channel)


# --- Import ----------------------------------------------------------------------------------


@login_required
@permission_required("orders.key_in_order", raise_exception=True)
def import_new(request: HttpRequest) -> HttpResponse:
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            order_import = services.import_upload(
                channel=form.cleaned_data["channel"],
                uploads=[(upload.name or "", upload) for upload in form.cleaned_data["exports"]],
                by=request.user,
            )
        except ApplicationError as exc:
            form.add_error("exports", exc.message)
        else:
            return redirect(order_import)
    return render(
        request,
        "orders/import_new.html",
        {"form": form, "imports": selectors.imports_recent()},
    )


@login_required
@permission_required("orders.key_in_order", raise_exception=True)
def import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    order_import = get_object_or_404(OrderImport.objects.select_related("channel"), pk=pk)
    if request.method == "POST":
        try:
            outcome = services.import_run(import_id=pk, by=request.user)
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            done = outcome.order_import or order_import
            parked = len(outcome.plan.of("parked")) if outcome.plan else 0
            messages.success(
                request,
                _(
                    "%(created)d orders created (%(parked)d of them parked in the exception "
                    "queue), %(skipped)d skipped."
                )
                % {
                    "created": done.created_count,
                    "parked": parked,
                    "skipped": done.skipped_count,
                },
            )
        return redirect(order_import)
    plan = None
    error = ""
    if order_import.state == OrderImport.State.PREVIEWED:
        try:
            plan = services.import_preview(order_import=order_import)
        except ApplicationError as exc:
            error = exc.message
    can_map = request.user.has_perm("orders.manage_channel")
    return render(
        request,
        "orders/import_detail.html",
        {
            "order_import": order_import,
            "plan": plan,
            "error": error,
            "new_orders": plan.new[:500] if plan else [],
            "existing_orders": plan.existing[:500] if plan else [],
            "changed_orders": plan.changed[:500] if plan else [],
            "skipped_orders": plan.skipped[:500] if plan else [],
            "can_map": can_map,
            "sku_choices": selectors.skus_to_map_to() if can_map and plan else [],
            "previous": selectors.previous_import(order_import),
        },
    )


@login_required
@permission_required("orders.key_in_order", raise_exception=True)
@require_POST
def import_map_code(request: HttpRequest, pk: int) -> HttpResponse:
    """Map an unknown code of the upload for its channel; the preview then runs again."""
    order_import = get_object_or_404(OrderImport, pk=pk)
    form = ImportMappingForm(request.POST)
    if form.is_valid():
        code, sku_code = form.cleaned_data["code"], form.cleaned_data["sku_code"]
        _act(
            request,
            lambda: services.import_map_code(
                import_id=pk, code=code, sku_code=sku_code, by=request.user
            ),
            _("%(code)s is mapped to %(sku)s for this channel.") % {"code": code, "sku": sku_code},
        )
    else:
        messages.error(request, _("Choose one of our SKUs for the code."))
    return redirect(order_import)


# --- Figures ---------------------------------------------------------------------------------


@login_required
@permission_required("orders.view_order", raise_exception=True)
def stats(request: HttpRequest) -> HttpResponse:
    chart = selectors.orders_per_channel_per_day(14)
    colors = ["#c0392b", "#2980b9", "#27ae60", "#8e44ad", "#d35400", "#16a085", "#7f8c8d"]
    bar_width = 36
    height = 180
    peak = max(chart["max"], 1)
    bars = []
    for i, day in enumerate(chart["days"]):
        y = height
        segments = []
        for s_index, series in enumerate(chart["series"]):
            count = series["counts"][i]
            if not count:
                continue
            h = round(count / peak * height)
            y -= h
            segments.append(
                {
                    "y": y,
                    "h": h,
                    "color": colors[s_index % len(colors)],
                    "title": f"{series['channel']} {day:%m-%d}: {count}",
                }
            )
        bars.append(
            {
                "x": 40 + i * (bar_width + 8),
                "day": day,
                "total": chart["totals"][i],
                "segments": segments,
            }
        )
    legend = [
        {"name": s["channel"], "color": colors[i % len(colors)]}
        for i, s in enumerate(chart["series"])
    ]
    return render(
        request,
        "orders/stats.html",
        {
            "bars": bars,
            "legend": legend,
            "bar_width": bar_width,
            "chart_height": height,
            "chart_width": 40 + len(bars) * (bar_width + 8),
            "peak": chart["max"],
            "sla": selectors.sla_met_rates(14),
        },
    )
