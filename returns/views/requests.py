"""The return desk: service opens and reviews requests, the shop manager confirms, the
warehouse receives and inspects; the customer sends photos through a one-time link.

Each POST parses a form and calls one service; a refused one shows the service's message
and keeps what was typed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ecomops.errors import ApplicationError
from ecomops.forms import add_service_errors
from ecomops.sla.selectors import clocks_for
from ecomops.uploads import file_response, stored_image_type

from ..forms import (
    InspectForm,
    NoteForm,
    OrderLookupForm,
    PhotoForm,
    RejectForm,
    ReturnOpenForm,
    WaybillForm,
)
from ..models import (
    ReturnKind,
    ReturnPhoto,
    ReturnReason,
    ReturnRequest,
    ReturnState,
)
from ..selectors import requests as selectors
from ..services import photos as photo_services
from ..services import requests as services

VIEW = "returns.view_returnrequest"


def _call(form: forms.Form, action: Callable[..., Any], **kwargs: Any) -> Any:
    """Run a service for a valid form; its refusal goes onto the form (the message at the
    top, the field messages at their fields). None when refused."""
    try:
        return action(**kwargs)
    except ApplicationError as exc:
        add_service_errors(form, exc)
        if exc.message not in form.non_field_errors():
            form.add_error(None, exc.message)
    return None


@login_required
@permission_required(VIEW, raise_exception=True)
def request_list(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()
    state = request.GET.get("state", "")
    kind = request.GET.get("kind", "")
    page = Paginator(selectors.request_list(q=q, state=state, kind=kind), 50).get_page(
        request.GET.get("page")
    )
    context = {
        "page": page,
        "q": q,
        "state": state,
        "kind": kind,
        "states": ReturnState.choices,
        "kinds": ReturnKind.choices,
        "can_open": request.user.has_perm("returns.handle_return"),
    }
    return render(request, "returns/request_list.html", context)


@login_required
@permission_required("returns.handle_return", raise_exception=True)
def request_new(request: HttpRequest) -> HttpResponse:
    lookup = OrderLookupForm(request.GET or None)
    order = None
    if lookup.is_valid():
        order = selectors.find_order(lookup.cleaned_data["order"])
        if order is None:
            lookup.add_error("order", _("No order with this number."))
    if order is None:
        return render(request, "returns/request_new.html", {"lookup": lookup})
    lines = selectors.returnable_lines(order)
    form = ReturnOpenForm(request.POST or None, lines=lines)
    if request.method == "POST" and form.is_valid():
        created = _call(
            form,
            services.return_open,
            order_id=order.pk,
            kind=form.cleaned_data["kind"],
            reason=form.cleaned_data["reason"],
            reason_detail=form.cleaned_data["reason_detail"],
            items=form.items(),
            window_override_reason=form.cleaned_data["window_override_reason"],
            by=request.user,
        )
        if created is not None:
            messages.success(
                request, _("Return request %(number)s opened.") % {"number": created.number}
            )
            return redirect(created)
    context = {
        "lookup": lookup,
        "order": order,
        "form": form,
        "window_ends": selectors.return_window_ends(order),
        "window_closed": selectors.window_is_closed(order),
        "earlier": selectors.order_returns(order),
        "can_override": request.user.has_perm("returns.override_return_window"),
    }
    return render(request, "returns/request_new.html", context)


@login_required
@permission_required(VIEW, raise_exception=True)
def request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        return_request = selectors.request_detail(pk)
    except ReturnRequest.DoesNotExist:
        raise Http404 from None
    action = request.POST.get("action")
    reject_form = RejectForm(request.POST if action == "reject" else None)
    withdraw_form = NoteForm(request.POST if action == "withdraw" else None, prefix="withdraw")
    close_form = NoteForm(request.POST if action == "close" else None, prefix="close")
    waybill_form = WaybillForm(request.POST if action == "waybill" else None)
    if request.method == "POST":
        done: Any = None
        if action == "reject" and reject_form.is_valid():
            done = _call(
                reject_form,
                services.return_reject,
                request_id=pk,
                why=reject_form.cleaned_data["reason"],
                by=request.user,
            )
        elif action == "withdraw" and withdraw_form.is_valid():
            done = _call(
                withdraw_form,
                services.return_withdraw,
                request_id=pk,
                note=withdraw_form.cleaned_data["note"],
                by=request.user,
            )
        elif action == "close" and close_form.is_valid():
            done = _call(
                close_form,
                services.return_close,
                request_id=pk,
                note=close_form.cleaned_data["note"],
                by=request.user,
            )
        elif action == "waybill" and waybill_form.is_valid():
            done = _call(
                waybill_form,
                services.return_record_waybill,
                request_id=pk,
                waybill=waybill_form.cleaned_data["waybill"],
                carrier=waybill_form.cleaned_data["carrier"],
                by=request.user,
            )
        if done is not None:
            messages.success(request, _("Saved."))
            return redirect(return_request)
    user = request.user
    link_path = request.session.pop(f"returns-photo-link-{pk}", None)
    context = {
        "r": return_request,
        "lines": list(return_request.lines.all()),
        "photos": list(return_request.photos.all()),
        "clocks": clocks_for(return_request),
        "reject_form": reject_form,
        "withdraw_form": withdraw_form,
        "close_form": close_form,
        "waybill_form": waybill_form,
        "photo_form": PhotoForm(),
        "photo_link": request.build_absolute_uri(link_path) if link_path else "",
        "refund_value": selectors.refund_amount_for(return_request),
        "can_handle": user.has_perm("returns.handle_return"),
        "can_approve": user.has_perm("returns.approve_return"),
        "can_confirm": user.has_perm("returns.confirm_return")
        and user.pk != return_request.approved_by_id,
        "can_receive": user.has_perm("returns.receive_return"),
        "photo_states": (ReturnState.NEW, ReturnState.AWAITING_PHOTOS, ReturnState.IN_REVIEW),
        "photo_limit": settings.RETURNS_PHOTO_LIMITS["max_count"],
    }
    return render(request, "returns/request_detail.html", context)


BUTTONS: dict[str, Callable[..., Any]] = {
    "approve": services.return_approve,
    "confirm": services.return_confirm,
    "receive": services.return_receive,
}


@login_required
@require_POST
def request_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """The one-click steps: approve (service), confirm (shop manager), receive (warehouse)."""
    service = BUTTONS.get(action)
    if service is None:
        raise Http404
    return_request = get_object_or_404(ReturnRequest, pk=pk)
    try:
        service(request_id=pk, by=request.user)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Saved."))
        if action == "receive":
            return redirect("returns:request_inspect", pk=pk)
    return redirect(return_request)


@login_required
@require_POST
@permission_required("returns.handle_return", raise_exception=True)
def photo_upload(request: HttpRequest, pk: int) -> HttpResponse:
    return_request = get_object_or_404(ReturnRequest, pk=pk)
    form = PhotoForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return redirect(return_request)
    try:
        added = photo_services.photos_add(
            request_id=pk, files=form.cleaned_data["photos"], by=request.user
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("%(count)d pictures added.") % {"count": len(added)})
    return redirect(return_request)


@login_required
@require_POST
@permission_required("returns.handle_return", raise_exception=True)
def photo_link_new(request: HttpRequest, pk: int) -> HttpResponse:
    return_request = get_object_or_404(ReturnRequest, pk=pk)
    try:
        path = photo_services.photo_link_create(request_id=pk, by=request.user)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        # Shown once on the next page: only a hash of the link is kept.
        request.session[f"returns-photo-link-{pk}"] = path
        messages.success(
            request,
            _("Link created: send it to the customer now; it works once, for %(hours)d hours.")
            % {"hours": settings.RETURNS_PHOTO_LINK_HOURS},
        )
    return redirect(return_request)


@login_required
@permission_required("returns.view_returnphoto", raise_exception=True)
def photo_file(request: HttpRequest, pk: int) -> FileResponse:
    """The picture, with the type its bytes showed when it came (inline, never sniffed)."""
    photo = get_object_or_404(ReturnPhoto, pk=pk)
    try:
        handle = photo.image.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    content_type = photo.content_type or stored_image_type(handle)
    name = photo.name or f"{photo.request.number}-{photo.pk}"
    return file_response(handle, content_type=content_type, name=name)


@login_required
@permission_required("returns.receive_return", raise_exception=True)
def request_inspect(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        return_request = selectors.request_detail(pk)
    except ReturnRequest.DoesNotExist:
        raise Http404 from None
    if return_request.state != ReturnState.RECEIVED:
        messages.error(
            request,
            _("Return %(number)s is %(state)s: only received goods are inspected.")
            % {"number": return_request.number, "state": return_request.get_state_display()},
        )
        return redirect(return_request)
    form = InspectForm(request.POST or None, lines=list(return_request.lines.all()))
    if request.method == "POST" and form.is_valid():
        done = _call(
            form, services.return_inspect, request_id=pk, results=form.results(), by=request.user
        )
        if done is not None:
            messages.success(request, _("Inspection recorded."))
            return redirect(done)
    return render(request, "returns/request_inspect.html", {"r": return_request, "form": form})


@login_required
@permission_required("returns.confirm_return", raise_exception=True)
def confirm_queue(request: HttpRequest) -> HttpResponse:
    return render(
        request, "returns/confirm_queue.html", {"requests": list(selectors.confirm_queue())}
    )


@login_required
@permission_required("returns.receive_return", raise_exception=True)
def receiving_queue(request: HttpRequest) -> HttpResponse:
    return render(
        request, "returns/receiving_queue.html", {"requests": list(selectors.receiving_queue())}
    )


@login_required
@permission_required(VIEW, raise_exception=True)
def reasons_chart(request: HttpRequest) -> HttpResponse:
    weeks = selectors.reasons_per_week(weeks=8)
    reasons = list(ReturnReason.choices)
    highest = max((w.total for w in weeks), default=0) or 1
    bar_height = 180
    bars = []
    for index, week in enumerate(weeks):
        y: float = bar_height
        segments = []
        for position, (value, label) in enumerate(reasons):
            count = week.counts.get(value, 0)
            if not count:
                continue
            height = count * bar_height / highest
            y -= height
            segments.append(
                {
                    "y": round(y, 1),
                    "height": round(height, 1),
                    "count": count,
                    "label": label,
                    "colour": position,
                }
            )
        bars.append({"x": 50 + index * 70, "week": week, "segments": segments})
    context = {
        "weeks": weeks,
        "reasons": reasons,
        "bars": bars,
        "highest": highest,
        "rows": [
            (
                label,
                [w.counts.get(value, 0) for w in weeks],
                sum(w.counts.get(value, 0) for w in weeks),
            )
            for value, label in reasons
        ],
    }
    return render(request, "returns/reasons_chart.html", context)


def customer_photos(request: HttpRequest, token: str) -> HttpResponse:
    """The customer's page (no login): upload the pictures once."""
    try:
        link = photo_services.photo_link_check(token)
    except photo_services.PhotoLinkError as exc:
        status = 404 if exc.extra.get("code") == "invalid" else 410
        return render(
            request, "returns/customer_photos.html", {"error": exc.message}, status=status
        )
    form = PhotoForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            photo_services.photos_submit(token=token, files=form.cleaned_data["photos"])
        except photo_services.PhotoLinkError as exc:
            return render(
                request, "returns/customer_photos.html", {"error": exc.message}, status=410
            )
        except ApplicationError as exc:
            add_service_errors(form, exc)
        else:
            return render(request, "returns/customer_photos.html", {"done": True})
    context = {
        "form": form,
        "number": link.request.number,
        "limit": settings.RETURNS_PHOTO_LIMITS["max_count"],
        "max_mb": settings.RETURNS_PHOTO_LIMITS["max_bytes"] // (1024 * 1024),
    }
    return render(request, "returns/customer_photos.html", context)
