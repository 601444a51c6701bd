"""The exception queue (异常订单) and the blacklist (黑名单), for service staff.

Owned by pre-sales service (the ``order_exception`` SLA policy's owner role); after-sales
service, sales reps and managers work it too (``orders.resolve_exception``). Each button of
the detail page posts to its own view, which calls one service.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_POST

from ecomops.bounds import LIST_MAX_ITEMS
from ecomops.errors import ApplicationError
from ecomops.sla.models import SlaPolicy

from .. import selectors, services
from ..models import (
    BlacklistEntry,
    BlacklistKind,
    Channel,
    Order,
    OrderException,
    OrderState,
)
from ..selectors import EXCEPTION_CLOCK
from ..services.exceptions import ADDRESS_FIELDS

RESOLVE = "orders.resolve_exception"


class ExceptionBulkForm(forms.Form):
    ACTIONS = [
        ("release", gettext_lazy("Release")),
        ("recheck", gettext_lazy("Re-check")),
        ("cancel", gettext_lazy("Cancel with the reason")),
    ]
    action = forms.ChoiceField(label=pgettext_lazy("bulk action", "Action"), choices=ACTIONS)
    orders = forms.TypedMultipleChoiceField(label=gettext_lazy("Orders"), coerce=int, choices=[])
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=300, required=False)

    def __init__(self, *args: Any, order_ids: list[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["orders"].choices = [(pk, pk) for pk in order_ids]  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("action") == "cancel" and not data.get("reason"):
            self.add_error("reason", _("Give a reason."))
        return data


class AddressForm(forms.Form):
    receiver_name = forms.CharField(label=gettext_lazy("receiver"), max_length=100)
    receiver_phone = forms.CharField(label=gettext_lazy("receiver phone"), max_length=20)
    ship_province = forms.CharField(label=gettext_lazy("province"), max_length=50)
    ship_city = forms.CharField(label=gettext_lazy("city"), max_length=50)
    ship_district = forms.CharField(label=gettext_lazy("district"), max_length=50, required=False)
    ship_street = forms.CharField(label=gettext_lazy("street address"), max_length=300)
    ship_postcode = forms.CharField(label=gettext_lazy("postcode"), max_length=6, required=False)
    reason = forms.CharField(
        label=gettext_lazy("Why (who confirmed it)"),
        max_length=300,
        help_text=gettext_lazy("E.g. the buyer confirmed the address on Wangwang."),
    )


class MapForm(forms.Form):
    line = forms.IntegerField(min_value=0, max_value=LIST_MAX_ITEMS, widget=forms.HiddenInput)
    sku_code = forms.CharField(label=gettext_lazy("Our SKU code"), max_length=64)


class NoteForm(forms.Form):
    note = forms.CharField(label=gettext_lazy("Reason"), max_length=300)


class ReasonForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=300)


class BlacklistForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("kind"), choices=BlacklistKind.choices)
    value = forms.CharField(label=gettext_lazy("value"), max_length=300)
    reason = forms.CharField(label=gettext_lazy("reason"), max_length=300)


def _owner_role() -> str:
    policy = SlaPolicy.objects.filter(code=EXCEPTION_CLOCK).first()
    return policy.get_owner_role_display() if policy is not None else ""


def _bulk_messages(request: HttpRequest, result: services.BulkResult) -> None:
    if result.done:
        messages.success(
            request,
            _("Done for %(count)d orders: %(numbers)s")
            % {"count": len(result.done), "numbers": ", ".join(result.done)},
        )
    for number, reason in result.refused.items():
        messages.error(request, f"{number}: {reason}")


@login_required
@permission_required(RESOLVE, raise_exception=True)
def exception_queue(request: HttpRequest) -> HttpResponse:
    """Parked orders with their reasons, least time left first; bulk release, re-check and
    cancel."""
    orders = list(selectors.exception_queue())
    form = ExceptionBulkForm(request.POST or None, order_ids=[o.pk for o in orders])
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            ids = data["orders"]
            if data["action"] == "release":
                result = services.order_exceptions_release(order_ids=ids, by=request.user)
            elif data["action"] == "recheck":
                result = services.order_exceptions_recheck(order_ids=ids, by=request.user)
            else:
                result = services.order_exceptions_cancel(
                    order_ids=ids, by=request.user, reason=data["reason"]
                )
            _bulk_messages(request, result)
            return redirect("orders:exception_queue")
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, str(message))
    return render(
        request,
        "orders/exception_queue.html",
        {"orders": orders, "bulk_form": form, "owner_role": _owner_role()},
    )


@login_required
@permission_required(RESOLVE, raise_exception=True)
def exception_detail(request: HttpRequest, pk: int) -> HttpResponse:
    order = get_object_or_404(Order.objects.select_related("channel", "customer"), pk=pk)
    reasons = list(order.exceptions.select_related("resolved_by").order_by("pk"))
    open_reasons = [r for r in reasons if r.is_open]
    lines = order.payload.get("lines") or []
    to_map = {}
    for reason in open_reasons:
        if reason.code in ("sku_unknown", "sku_not_listed") and reason.field.startswith("lines["):
            index = int(reason.field[len("lines[") : reason.field.index("]")])
            if index < len(lines):
                to_map[index] = reason
    return render(
        request,
        "orders/exception_detail.html",
        {
            "order": order,
            "parked": order.state == OrderState.EXCEPTION,
            "open_reasons": open_reasons,
            "resolved_reasons": [r for r in reasons if not r.is_open],
            "lines": [
                {
                    "index": i,
                    "position": i + 1,
                    **line,
                    "reason": to_map.get(i),
                    "map_form": MapForm(initial={"line": i}, auto_id=f"map{i}-%s"),
                }
                for i, line in enumerate(lines)
            ],
            "address_form": AddressForm(
                initial={name: getattr(order, name) for name in ADDRESS_FIELDS}
            ),
            "note_form": NoteForm(),
            "reason_form": ReasonForm(auto_id="cancel-%s"),
            "owner_role": _owner_role(),
            "clock": selectors.exception_queue().filter(pk=order.pk).first(),
        },
    )


def _act(request: HttpRequest, pk: int, call: Callable[[], Any], done: str) -> HttpResponse:
    get_object_or_404(Order, pk=pk)  # an address naming no order is a 404, not a 500
    try:
        call()
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done)
    return redirect("orders:exception_detail", pk)


@login_required
@permission_required(RESOLVE, raise_exception=True)
@require_POST
def exception_map(request: HttpRequest, pk: int) -> HttpResponse:
    form = MapForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give one of our SKU codes."))
        return redirect("orders:exception_detail", pk)
    try:
        mapping, results = services.order_exception_map_line(
            order_id=pk,
            line_index=form.cleaned_data["line"],
            sku_code=form.cleaned_data["sku_code"],
            by=request.user,
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("orders:exception_detail", pk)
    released = [r.order.number for r in results if r.released]
    waiting = [r.order.number for r in results if not r.released]
    messages.success(
        request,
        _("%(code)s is now mapped to %(sku)s for this channel.")
        % {"code": mapping.outer_id, "sku": mapping.sku.code},
    )
    if released:
        messages.success(request, _("Released: %(numbers)s") % {"numbers": ", ".join(released)})
    if waiting:
        messages.warning(
            request,
            _("Still parked for other reasons: %(numbers)s") % {"numbers": ", ".join(waiting)},
        )
    if Order.objects.filter(pk=pk, state=OrderState.EXCEPTION).exists():
        return redirect("orders:exception_detail", pk)
    return redirect("orders:exception_queue")


@login_required
@permission_required(RESOLVE, raise_exception=True)
@require_POST
def exception_address(request: HttpRequest, pk: int) -> HttpResponse:
    form = AddressForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, str(message))
        return redirect("orders:exception_detail", pk)
    data = dict(form.cleaned_data)
    reason = data.pop("reason")
    return _act(
        request,
        pk,
        lambda: services.order_exception_edit_address(
            order_id=pk, by=request.user, reason=reason, **data
        ),
        _("The address was corrected and the order re-checked."),
    )


@login_required
@permission_required(RESOLVE, raise_exception=True)
@require_POST
def exception_approve(request: HttpRequest, pk: int) -> HttpResponse:
    reason = get_object_or_404(OrderException, pk=pk)
    form = NoteForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    return _act(
        request,
        reason.order_id,
        lambda: services.order_exception_approve(exception_id=pk, by=request.user, note=note),
        _("Approved."),
    )


@login_required
@permission_required(RESOLVE, raise_exception=True)
@require_POST
def exception_recheck(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        lambda: services.order_exception_recheck(order_id=pk, by=request.user),
        _("Re-checked."),
    )


@login_required
@permission_required(RESOLVE, raise_exception=True)
@require_POST
def exception_release(request: HttpRequest, pk: int) -> HttpResponse:
    get_object_or_404(Order, pk=pk)
    try:
        order = services.order_exception_release(order_id=pk, by=request.user)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("orders:exception_detail", pk)
    messages.success(
        request,
        _("%(number)s is released into the normal flow.") % {"number": order.number},
    )
    return redirect("orders:exception_queue")


@login_required
@permission_required(RESOLVE, raise_exception=True)
@require_POST
def exception_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    form = ReasonForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        order = services.order_exception_cancel(order_id=pk, by=request.user, reason=reason)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("orders:exception_detail", pk)
    messages.success(request, _("%(number)s is cancelled.") % {"number": order.number})
    return redirect("orders:exception_queue")


# --- The blacklist (黑名单) --------------------------------------------------------------


@login_required
@permission_required("orders.view_blacklistentry", raise_exception=True)
def blacklist(request: HttpRequest) -> HttpResponse:
    form = BlacklistForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            try:
                services.blacklist_add(by=request.user, **form.cleaned_data)
            except ApplicationError as exc:
                messages.error(request, exc.message)
            else:
                messages.success(request, _("Added to the blacklist."))
                return redirect("orders:blacklist")
        else:
            for errors in form.errors.values():
                for message in errors:
                    messages.error(request, str(message))
    return render(
        request,
        "orders/blacklist.html",
        {
            "entries": selectors.blacklist_entries(),
            "removed": selectors.blacklist_entries(active=False)[:50],
            "form": form,
            "reason_form": ReasonForm(auto_id=False),
        },
    )


@login_required
@permission_required("orders.change_blacklistentry", raise_exception=True)
@require_POST
def blacklist_remove(request: HttpRequest, pk: int) -> HttpResponse:
    entry = get_object_or_404(BlacklistEntry, pk=pk)
    form = ReasonForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        services.blacklist_remove(entry_id=entry.pk, reason=reason, by=request.user)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Removed from the blacklist: %(entry)s") % {"entry": entry})
    return redirect("orders:blacklist")


@login_required
@permission_required("orders.manage_channel", raise_exception=True)
@require_POST
def channel_intake_policy(request: HttpRequest, pk: int) -> HttpResponse:
    """The channel page's setting: refuse or park orders that break a business rule."""
    channel = get_object_or_404(Channel, pk=pk)
    try:
        channel = services.channel_intake_policy_set(
            channel_id=channel.pk, policy=request.POST.get("intake_policy", ""), by=request.user
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("Orders breaking a rule: %(policy)s")
            % {"policy": channel.get_intake_policy_display()},
        )
    return redirect(channel)
