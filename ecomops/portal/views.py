"""The portal shell: home pages per role and their live queue counts."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from ecomops.accounts.roles import ROLES, RoleCode
from ecomops.accounts.selectors import user_role_codes
from ecomops.sla.selectors import breached_running_clocks
from ecomops.workcalendar.selectors import calendar_warnings

from . import selectors


@login_required
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/home.html", _home_context(request, None))


@login_required
def role_home(request: HttpRequest, role: str) -> HttpResponse:
    if role not in ROLES or role not in user_role_codes(request.user):
        raise Http404
    return render(request, "portal/home.html", _home_context(request, role))


@login_required
def queues(request: HttpRequest) -> HttpResponse:
    """The queue cards alone, refreshed by htmx every half minute."""
    role = request.GET.get("role") or None
    return render(request, "portal/_queues.html", _home_context(request, role))


@login_required
def overdue(request: HttpRequest) -> HttpResponse:
    """Every SLA clock that ran out and still runs, longest overdue first (managers)."""
    if not _is_manager(request):
        raise Http404
    clocks = breached_running_clocks().prefetch_related("content_object")
    return render(request, "portal/overdue.html", {"clocks": clocks})


def _is_manager(request: HttpRequest) -> bool:
    return bool(request.user.is_superuser) or RoleCode.MANAGER in user_role_codes(request.user)


def _home_context(request: HttpRequest, role: str | None) -> dict[str, object]:
    context: dict[str, object] = {
        "homes": selectors.home_for(request.user, only_role=role),
        "current_role": role,
    }
    if _is_manager(request):
        context["calendar_warnings"] = calendar_warnings()
    return context
