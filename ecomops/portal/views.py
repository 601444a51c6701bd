"""The portal shell: home pages per role and their live queue counts."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from ecomops.accounts.roles import ROLES, Department, RoleCode
from ecomops.accounts.selectors import user_role_codes
from ecomops.sla.selectors import CLOCK_RISKS, breached_running_clocks, clocks_at_risk
from ecomops.workcalendar.selectors import calendar_warnings

from . import selectors
from .overview import overview_read


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Each held role's queues; a manager's home opens with the live overview."""
    context = _home_context(request, None)
    if _is_manager(request):
        context["overview"] = overview_read(user=request.user, now=timezone.now())
    return render(request, "portal/home.html", context)


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


@login_required
def overview(request: HttpRequest) -> HttpResponse:
    """The manager's live overview (经营看板) on a page of its own."""
    _managers_only(request)
    return render(
        request,
        "portal/overview.html",
        {"overview": overview_read(user=request.user, now=timezone.now())},
    )


@login_required
def overview_live(request: HttpRequest) -> HttpResponse:
    """The overview's figures alone, fetched by htmx every half minute."""
    _managers_only(request)
    return render(
        request,
        "portal/overview/_live.html",
        {"overview": overview_read(user=request.user, now=timezone.now())},
    )


@login_required
def clocks(request: HttpRequest) -> HttpResponse:
    """Running clocks warned or breached now, of one department or all (the queue behind
    the overview's clock figures; managers)."""
    _managers_only(request)
    risk = request.GET.get("risk", "breached")
    if risk not in CLOCK_RISKS:
        raise Http404
    department = request.GET.get("department") or None
    roles = None
    if department is not None:
        if department not in Department.values:
            raise Http404
        roles = [code for code, role in ROLES.items() if role.department == department]
    rows = clocks_at_risk(now=timezone.now(), risk=risk, roles=roles).prefetch_related(
        "content_object"
    )
    return render(
        request,
        "portal/clocks.html",
        {
            "clocks": rows,
            "risk": risk,
            "department": Department(department) if department else None,
        },
    )


def _managers_only(request: HttpRequest) -> None:
    if not _is_manager(request):
        raise PermissionDenied


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
