"""What every page of the distribution desk shares: calling a service for a form or a
button, paging, going back where the user came from, and the server-drawn bar charts."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponseRedirect
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme

from ecomops.accounts.roles import RoleCode
from ecomops.accounts.selectors import user_role_codes
from ecomops.errors import ApplicationError, PermissionDeniedError
from ecomops.forms import call_service


def page_of(request: HttpRequest, queryset: Any, size: int = 50) -> Any:
    return Paginator(queryset, size).get_page(request.GET.get("page"))


def _guarded(service: Callable[..., Any]) -> Callable[..., Any]:
    def run(**kwargs: Any) -> Any:
        try:
            return service(**kwargs)
        except PermissionDeniedError as exc:
            raise PermissionDenied(exc.message) from exc

    return run


def call(form: forms.BaseForm, service: Callable[..., Any], **kwargs: Any) -> Any:
    """Run a service for a valid form: its result, or None with its refusal on the form.
    A refusal for lack of permission answers 403."""
    return call_service(form, _guarded(service), **kwargs)


def act(request: HttpRequest, service: Callable[..., Any], **kwargs: Any) -> bool:
    """Run a service for a button: True when done, False with its refusal as a message.
    A refusal for lack of permission answers 403."""
    try:
        service(**kwargs)
    except PermissionDeniedError as exc:
        raise PermissionDenied(exc.message) from exc
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return False
    return True


def flash_unshown(request: HttpRequest, bound: dict[str, forms.Form], shown: set[str]) -> None:
    """A refused form the page no longer shows (the object moved on meanwhile, or the
    user may not use it): its errors become messages, so the refusal is still seen."""
    for name, form in bound.items():
        if name not in shown:
            for errors in form.errors.values():
                for error in errors:
                    messages.error(request, str(error))


def back(request: HttpRequest, default: Any) -> HttpResponseRedirect:
    """Redirect to the posted ``next`` (a page of this site), else to ``default``."""
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect(default)


def sees_everyone(user: Any) -> bool:
    """Managers see every owner's reminders; the others their own."""
    return bool(user.is_superuser) or RoleCode.MANAGER in user_role_codes(user)


def bar_chart(
    months: Sequence[Any],
    series: Sequence[dict[str, Any]],
    *,
    bar_height: int = 180,
    left: int = 60,
    step: int = 46,
    width: int = 34,
) -> dict[str, Any]:
    """Stacked bars per month for an SVG drawn by the template: each series is
    ``{"label", "values"}`` (amounts per month, in the order of ``months``)."""
    totals = [
        sum((Decimal(s["values"][i]) for s in series), Decimal("0")) for i in range(len(months))
    ]
    highest = max(totals, default=Decimal("0")) or Decimal("1")
    bars = []
    for index, month in enumerate(months):
        y = float(bar_height)
        segments = []
        for position, s in enumerate(series):
            value = Decimal(s["values"][index])
            if not value:
                continue
            height = float(value) * bar_height / float(highest)
            y -= height
            segments.append(
                {
                    "y": round(y, 1),
                    "height": round(height, 1),
                    "value": value,
                    "label": s["label"],
                    "colour": position,
                }
            )
        bars.append(
            {
                "x": left + index * step,
                "centre": left + index * step + width // 2,
                "month": month,
                "total": totals[index],
                "segments": segments,
            }
        )
    return {
        "bars": bars,
        "highest": highest,
        "bar_width": width,
        "axis_y": bar_height,
        "chart_width": left + len(months) * step + 10,
        "chart_height": bar_height + 36,
    }
