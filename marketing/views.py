"""The marketing desk: campaigns on a board, the list, and one campaign's page with its
plans, pre-heat, department tasks, live window, results and report.

Each POST parses a form and calls one service. A refusal re-renders the campaign's page
with the form as typed and the refusal beside it (400, or 409 when the campaign's state
does not allow it); a refusal for lack of permission answers 403. Success redirects to
the page with a message.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_POST

from ecomops.forms import call_service_with_status
from ecomops.worktasks.models import TaskState
from listings.models import Sku
from listings.selectors import with_current_price

from . import selectors, services
from .forms import (
    ActionForm,
    CampaignFilterForm,
    CampaignForm,
    CloseForm,
    PlanChoiceForm,
    PlanForm,
    PlanLineForm,
    PreheatForm,
    ReasonForm,
    WaiverForm,
)
from .models import RUNNING_STATES, Campaign, CampaignPlan, CampaignState, CampaignTask, PlanLine

VIEW = "marketing.view_campaign"
RUN = "marketing.run_campaign"
WAIVE = "marketing.waive_campaign_task"

# The board's columns: the states a campaign is worked on in.
BOARD_STATES = (
    CampaignState.PLANNED,
    CampaignState.PRE_HEAT,
    CampaignState.COORDINATION,
    CampaignState.LIVE,
    CampaignState.ANALYSIS,
)
# Where a department task stands for the campaign (done and waived let it go live).
TASK_STATUS = {
    "done": pgettext_lazy("campaign task", "done"),
    "waived": pgettext_lazy("campaign task", "waived"),
    "open": pgettext_lazy("campaign task", "open"),
    "declined": pgettext_lazy("campaign task", "declined"),
    "cancelled": pgettext_lazy("campaign task", "cancelled"),
}
TASK_BADGE = {
    "done": "badge-success",
    "waived": "badge-info",
    "open": "badge-warning",
    "declined": "badge-danger",
    "cancelled": "badge-danger",
}


def _task_status(task: CampaignTask) -> str:
    if task.is_waived:
        return "waived"
    state = task.work_task.state
    if state == TaskState.COMPLETED:
        return "done"
    if state == TaskState.DECLINED:
        return "declined"
    if state == TaskState.CANCELLED:
        return "cancelled"
    return "open"


def _task_row(task: CampaignTask) -> dict[str, Any]:
    status = _task_status(task)
    return {
        "task": task,
        "work_task": task.work_task,
        "status": status,
        "status_label": TASK_STATUS[status],
        "badge": TASK_BADGE[status],
        "blocks": not selectors.task_is_done(task),
    }


def _percent(part: Decimal | int, whole: Decimal | int) -> str:
    """A CSS width: ``part`` of ``whole`` in percent, one decimal, at most 100."""
    if not whole:
        return "0"
    share = min(Decimal(part) * 100 / Decimal(whole), Decimal(100))
    return str(share.quantize(Decimal("0.1")))


def _chart(figures: dict[str, Any]) -> list[dict[str, Any]]:
    """Bars of units sold against target per SKU, on one scale (the largest of either)."""
    rows = figures.get("skus") or []
    scale = max((max(r["units"], r["target_units"]) for r in rows), default=0)
    return [
        {
            "sku": r["sku"],
            "name": r["name"],
            "units": r["units"],
            "target": r["target_units"],
            "units_width": _percent(r["units"], scale),
            "target_at": _percent(r["target_units"], scale),
            "met": bool(r["target_units"]) and r["units"] >= r["target_units"],
        }
        for r in rows
    ]


def _flash_unshown(request: HttpRequest, bound: dict[str, forms.Form], shown: set[str]) -> None:
    """A refused form the page no longer shows (the campaign moved on meanwhile): its
    errors become messages, so the refusal is still seen."""
    for name, form in bound.items():
        if name not in shown:
            for errors in form.errors.values():
                for error in errors:
                    messages.error(request, str(error))


# --- The desk and the list ------------------------------------------------------------------


@login_required
@permission_required(VIEW, raise_exception=True)
def home(request: HttpRequest) -> HttpResponse:
    board = selectors.campaign_board()
    coordinated = board[CampaignState.COORDINATION]
    tasks = selectors.campaign_tasks_by_campaign([c.pk for c in coordinated])
    labels = dict(CampaignState.choices)
    columns = []
    running = 0
    for state in BOARD_STATES:
        cards = []
        for campaign in board[state]:
            rows = [_task_row(task) for task in tasks.get(campaign.pk, [])]
            cards.append(
                {
                    "campaign": campaign,
                    "tasks": rows,
                    "blocking": sum(1 for row in rows if row["blocks"]),
                }
            )
        columns.append({"state": state, "label": labels[state], "cards": cards})
        running += len(cards)
    context = {
        "columns": columns,
        "running": running,
        "closed": board[CampaignState.CLOSED],
        "can_run": request.user.has_perm(RUN),
    }
    return render(request, "marketing/home.html", context)


@login_required
@permission_required(VIEW, raise_exception=True)
def campaign_list(request: HttpRequest) -> HttpResponse:
    form = CampaignFilterForm(request.GET or None)
    state = query = ""
    if form.is_valid():
        state = form.cleaned_data["state"]
        query = form.cleaned_data["q"]
    page = Paginator(selectors.campaigns(state=state, query=query), 50).get_page(
        request.GET.get("page")
    )
    context = {"form": form, "page": page, "can_run": request.user.has_perm(RUN)}
    return render(request, "marketing/campaign_list.html", context)


@login_required
@permission_required(VIEW, raise_exception=True)
def campaign_new(request: HttpRequest) -> HttpResponse:
    if not request.user.has_perm(RUN):
        raise PermissionDenied(_("You are not allowed to plan campaigns."))
    form = CampaignForm(request.POST or None, user=request.user, initial={"owner": request.user.pk})
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            campaign, status = call_service_with_status(
                form,
                services.campaign_create,
                name=data["name"],
                goal=data["goal"],
                live_from=data["live_from"],
                live_until=data["live_until"],
                owner=data["owner"],
                by=request.user,
            )
            if campaign is not None:
                messages.success(
                    request, _("Campaign %(number)s created.") % {"number": campaign.number}
                )
                return redirect(campaign)
    return render(request, "marketing/campaign_form.html", {"form": form}, status=status)


@login_required
@permission_required(VIEW, raise_exception=True)
def campaign_edit(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = get_object_or_404(Campaign, pk=pk)
    if not request.user.has_perm(RUN):
        raise PermissionDenied(_("You are not allowed to plan campaigns."))
    if request.method != "POST" and campaign.state != CampaignState.PLANNED:
        messages.warning(
            request, _("The campaign's name and window change only while it is being planned.")
        )
        return redirect(campaign)
    initial = {
        "name": campaign.name,
        "goal": campaign.goal,
        "live_from": campaign.live_from,
        "live_until": campaign.live_until,
    }
    form = CampaignForm(request.POST or None, initial=initial, with_owner=False)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            done, status = call_service_with_status(
                form,
                services.campaign_update,
                campaign_id=campaign.pk,
                name=data["name"],
                goal=data["goal"],
                live_from=data["live_from"],
                live_until=data["live_until"],
                by=request.user,
            )
            if done is not None:
                messages.success(request, _("Campaign saved."))
                return redirect(campaign)
    context = {"form": form, "campaign": campaign}
    return render(request, "marketing/campaign_form.html", context, status=status)


# --- A campaign's page ----------------------------------------------------------------------


def _plan_form(plan: CampaignPlan) -> PlanForm:
    initial = {
        "plan_id": plan.pk,
        "name": plan.name,
        "mechanics": plan.mechanics,
        "target_sales": plan.target_sales,
        "budget": plan.budget,
        "notes": plan.notes,
    }
    return PlanForm(prefix="plan", initial=initial, auto_id=f"id_plan{plan.pk}_%s")


def _line_form(plan: CampaignPlan, editing: PlanLine | None) -> PlanLineForm:
    initial: dict[str, Any] = {"plan": plan.pk}
    if editing is not None:
        initial.update(
            sku=editing.sku.code,
            campaign_price=editing.campaign_price,
            target_units=editing.target_units,
            below_subsidy_reason=editing.below_subsidy_reason,
        )
    return PlanLineForm(prefix="line", initial=initial, auto_id=f"id_plan{plan.pk}_%s")


def _campaign_page(
    request: HttpRequest,
    pk: int,
    *,
    bound: dict[str, forms.Form] | None = None,
    status: int = 200,
) -> HttpResponse:
    """The campaign's page; ``bound`` holds a refused form to show again as typed, keyed
    by what it is for (``"choose"``, ``"plan:<id>"``, ``"waive:<task id>"``, ...)."""
    try:
        campaign = selectors.campaign_detail(pk)
    except Campaign.DoesNotExist:
        raise Http404 from None
    bound = bound or {}
    user = request.user
    can_run = user.has_perm(RUN)
    can_waive = user.has_perm(WAIVE)
    state = campaign.state
    planning = can_run and state == CampaignState.PLANNED
    shown: set[str] = set()

    plans = list(campaign.plans.all())
    sku_ids = {line.sku_id for plan in plans for line in plan.lines.all()}
    online = {
        sku.pk: getattr(sku, "regular_price", None)
        for sku in with_current_price(Sku.objects.filter(pk__in=sku_ids))
    }
    editing = request.GET.get("line", "")
    cards = []
    for plan in plans:
        lines = list(plan.lines.all())
        rows = []
        for line in lines:
            price = online.get(line.sku_id)
            rows.append(
                {
                    "line": line,
                    "online_price": price,
                    "off": (
                        _percent(price - line.campaign_price, price)
                        if price and line.campaign_price <= price
                        else None
                    ),
                }
            )
        card: dict[str, Any] = {
            "plan": plan,
            "lines": rows,
            "chosen": plan.pk == campaign.chosen_plan_id,
            "planned_sales": sum(
                (line.campaign_price * line.target_units for line in lines), Decimal("0.00")
            ),
            "target_units": sum(line.target_units for line in lines),
        }
        if planning:
            edited = next((line for line in lines if str(line.pk) == editing), None)
            card["edit_form"] = bound.get(f"plan:{plan.pk}") or _plan_form(plan)
            card["line_form"] = bound.get(f"line:{plan.pk}") or _line_form(plan, edited)
            card["editing"] = edited is not None
            card["remove_form"] = bound.get(f"remove:{plan.pk}")
            shown |= {f"plan:{plan.pk}", f"line:{plan.pk}", f"remove:{plan.pk}"}
        cards.append(card)

    tasks = [_task_row(task) for task in campaign.tasks.all()]
    coordinating = state == CampaignState.COORDINATION
    for row in tasks:
        task, work_task = row["task"], row["work_task"]
        row["waive_form"] = None
        row["redispatch_form"] = None
        if coordinating and can_waive and row["blocks"]:
            key = f"waive:{task.pk}"
            row["waive_form"] = bound.get(key) or WaiverForm(
                prefix="waive", auto_id=f"id_task{task.pk}_%s"
            )
            shown.add(key)
        if (
            coordinating
            and can_run
            and not task.is_waived
            and work_task.state in (TaskState.DECLINED, TaskState.CANCELLED)
        ):
            key = f"redispatch:{task.pk}"
            row["redispatch_form"] = bound.get(key) or ActionForm()
            shown.add(key)
    blocking = [row for row in tasks if row["blocks"]]

    def offer(name: str, when: bool, make: Callable[[], forms.Form]) -> forms.Form | None:
        if not when:
            return None
        shown.add(name)
        return bound.get(name) or make()

    today = timezone.localdate()
    window_opens = timezone.localtime(campaign.live_from).date()
    new_plan_form = offer("plan", planning, lambda: PlanForm(prefix="plan"))
    choose_form = offer(
        "choose",
        planning and bool(plans),
        lambda: PlanChoiceForm(
            prefix="choose", plans=plans, initial={"plan": campaign.chosen_plan_id}
        ),
    )
    preheat_form = offer(
        "preheat",
        planning and campaign.chosen_plan_id is not None,
        lambda: PreheatForm(
            prefix="preheat",
            initial={"preheat_from": min(today, window_opens), "preheat_until": window_opens},
        ),
    )
    coordinate_form = offer("coordinate", can_run and state == CampaignState.PRE_HEAT, ActionForm)
    go_live_form = offer("go_live", can_run and coordinating, ActionForm)
    end_form = offer("end", can_run and state == CampaignState.LIVE, ActionForm)
    refresh_form = offer("refresh", can_run and state == CampaignState.ANALYSIS, ActionForm)
    close_form = offer(
        "close", can_run and state == CampaignState.ANALYSIS, lambda: CloseForm(prefix="close")
    )
    cancel_form = offer(
        "cancel", can_run and state in RUNNING_STATES, lambda: ReasonForm(prefix="cancel")
    )
    _flash_unshown(request, bound, shown)

    figures = selectors.campaign_figures(campaign)
    context = {
        "campaign": campaign,
        "plans": cards,
        "tasks": tasks,
        "blocking": blocking,
        "figures": figures,
        "chart": _chart(figures) if figures else [],
        "can_run": can_run,
        "can_waive": can_waive,
        "planning": planning,
        "can_edit": planning,
        "new_plan_form": new_plan_form,
        "choose_form": choose_form,
        "preheat_form": preheat_form,
        "coordinate_form": coordinate_form,
        "go_live_form": go_live_form,
        "end_form": end_form,
        "refresh_form": refresh_form,
        "close_form": close_form,
        "cancel_form": cancel_form,
        "has_steps": any(
            (
                choose_form,
                preheat_form,
                coordinate_form,
                go_live_form,
                end_form,
                refresh_form,
                close_form,
            )
        ),
        "open_form": next(iter(bound), ""),
        "now": timezone.now(),
    }
    return render(request, "marketing/campaign_detail.html", context, status=status)


@login_required
@permission_required(VIEW, raise_exception=True)
def campaign_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _campaign_page(request, pk)


@login_required
@permission_required(VIEW, raise_exception=True)
def campaign_report(request: HttpRequest, pk: int) -> FileResponse:
    campaign = get_object_or_404(Campaign, pk=pk, state=CampaignState.CLOSED)
    if not campaign.report:
        raise Http404
    return FileResponse(
        campaign.report.open("rb"),
        content_type="application/pdf",
        as_attachment=True,
        filename=f"{campaign.number}-report.pdf",
    )


# --- The campaign's steps (POST only) --------------------------------------------------------


def _submit(
    request: HttpRequest,
    campaign: Campaign,
    *,
    key: str,
    form: forms.Form,
    run: Callable[[dict[str, Any]], Any],
    done: str | Promise,
) -> HttpResponse:
    """Validate ``form``, call ``run`` with its data; redirect with ``done`` on success,
    else show the campaign's page with the form as typed and its refusal."""
    status = 400
    if form.is_valid():
        _result, status = call_service_with_status(form, run, data=form.cleaned_data)
        if status == 200:
            messages.success(request, str(done))
            return redirect(campaign)
    return _campaign_page(request, campaign.pk, bound={key: form}, status=status)


def _campaign(pk: int) -> Campaign:
    return get_object_or_404(Campaign, pk=pk)


def _step(
    name: str,
    form_class: Callable[..., forms.Form],
    service: Callable[..., Any],
    done: Promise,
    arguments: Callable[[dict[str, Any]], dict[str, Any]] = lambda data: {},
    form_kwargs: Callable[[Campaign], dict[str, Any]] = lambda campaign: {},
) -> Callable[..., HttpResponse]:
    """The view of one step of the campaign, posted with the form ``name``: it calls
    ``service(campaign_id=..., by=..., **arguments(form data))``."""

    @login_required
    @require_POST
    @permission_required(VIEW, raise_exception=True)
    def view(request: HttpRequest, pk: int) -> HttpResponse:
        campaign = _campaign(pk)
        form = form_class(request.POST, prefix=name, **form_kwargs(campaign))
        return _submit(
            request,
            campaign,
            key=name,
            form=form,
            run=lambda data: service(campaign_id=pk, by=request.user, **arguments(data)),
            done=done,
        )

    return view


plan_choose = _step(
    "choose",
    PlanChoiceForm,
    services.plan_choose,
    gettext_lazy("Plan chosen."),
    lambda data: {"plan_id": data["plan"], "reason": data["reason"]},
    lambda campaign: {"plans": list(campaign.plans.order_by("pk"))},
)
preheat = _step(
    "preheat",
    PreheatForm,
    services.campaign_start_preheat,
    gettext_lazy("Pre-heat started; the brand promotion team was told."),
    lambda data: {
        "preheat_from": data["preheat_from"],
        "preheat_until": data["preheat_until"],
        "channels": data["channels"],
        "notes": data["notes"],
    },
)
coordinate = _step(
    "coordinate",
    ActionForm,
    services.campaign_coordinate,
    gettext_lazy("Department tasks dispatched."),
)
go_live = _step("go_live", ActionForm, services.campaign_go_live, gettext_lazy("Campaign is live."))
end = _step(
    "end",
    ActionForm,
    services.campaign_end,
    gettext_lazy("Campaign ended: its prices stopped and its results are computed."),
)
refresh = _step(
    "refresh",
    ActionForm,
    services.campaign_refresh_results,
    gettext_lazy("Results computed again from the orders."),
)
close = _step(
    "close",
    CloseForm,
    services.campaign_close,
    gettext_lazy("Campaign closed; its summary report is kept with it."),
    lambda data: {"lessons": data["lessons"]},
)
cancel = _step(
    "cancel",
    ReasonForm,
    services.campaign_cancel,
    gettext_lazy("Campaign cancelled."),
    lambda data: {"reason": data["reason"]},
)


@login_required
@require_POST
@permission_required(VIEW, raise_exception=True)
def plan_save(request: HttpRequest, pk: int) -> HttpResponse:
    """Add a plan, or change the one named by ``plan_id``."""
    campaign = _campaign(pk)
    form = PlanForm(request.POST, prefix="plan")
    plan_id = form.data.get("plan-plan_id") or ""
    key = "plan"
    if plan_id:
        if not plan_id.isdigit() or not campaign.plans.filter(pk=int(plan_id)).exists():
            raise Http404
        key = f"plan:{plan_id}"
        form.auto_id = f"id_plan{plan_id}_%s"
    return _submit(
        request,
        campaign,
        key=key,
        form=form,
        run=lambda data: services.plan_save(
            campaign_id=pk,
            plan_id=data["plan_id"],
            name=data["name"],
            mechanics=data["mechanics"],
            target_sales=data["target_sales"],
            budget=data["budget"],
            notes=data["notes"],
            by=request.user,
        ),
        done=gettext_lazy("Plan saved."),
    )


@login_required
@require_POST
@permission_required(VIEW, raise_exception=True)
def plan_line_save(request: HttpRequest, pk: int) -> HttpResponse:
    """Put a SKU into a plan, or change its line (the plan is posted with it)."""
    campaign = _campaign(pk)
    plan_id = request.POST.get("line-plan", "")
    if not plan_id.isdigit():
        raise Http404
    plan = get_object_or_404(CampaignPlan, pk=int(plan_id), campaign=campaign)
    form = PlanLineForm(request.POST, prefix="line", auto_id=f"id_plan{plan.pk}_%s")
    return _submit(
        request,
        campaign,
        key=f"line:{plan.pk}",
        form=form,
        run=lambda data: services.plan_line_save(
            plan_id=plan.pk,
            sku_code=data["sku"],
            campaign_price=data["campaign_price"],
            target_units=data["target_units"],
            below_subsidy_reason=data["below_subsidy_reason"],
            by=request.user,
        ),
        done=_("%(sku)s saved in plan %(plan)s.")
        % {"sku": request.POST.get("line-sku", "").strip(), "plan": plan.name},
    )


@login_required
@require_POST
@permission_required(VIEW, raise_exception=True)
def plan_line_remove(request: HttpRequest, pk: int, line_pk: int) -> HttpResponse:
    line = get_object_or_404(
        PlanLine.objects.select_related("plan", "sku"), pk=line_pk, plan__campaign_id=pk
    )
    return _submit(
        request,
        _campaign(pk),
        key=f"remove:{line.plan_id}",
        form=ActionForm(request.POST),
        run=lambda data: services.plan_line_remove(line_id=line.pk, by=request.user),
        done=_("%(sku)s removed from plan %(plan)s.")
        % {"sku": line.sku.code, "plan": line.plan.name},
    )


@login_required
@require_POST
@permission_required(VIEW, raise_exception=True)
def task_waive(request: HttpRequest, pk: int, task_pk: int) -> HttpResponse:
    task = get_object_or_404(CampaignTask, pk=task_pk, campaign_id=pk)
    form = WaiverForm(request.POST, prefix="waive", auto_id=f"id_task{task.pk}_%s")
    return _submit(
        request,
        _campaign(pk),
        key=f"waive:{task.pk}",
        form=form,
        run=lambda data: services.campaign_task_waive(
            campaign_task_id=task.pk, reason=data["reason"], by=request.user
        ),
        done=_("%(task)s waived.") % {"task": task.get_kind_display()},
    )


@login_required
@require_POST
@permission_required(VIEW, raise_exception=True)
def task_redispatch(request: HttpRequest, pk: int, task_pk: int) -> HttpResponse:
    task = get_object_or_404(CampaignTask, pk=task_pk, campaign_id=pk)
    return _submit(
        request,
        _campaign(pk),
        key=f"redispatch:{task.pk}",
        form=ActionForm(request.POST),
        run=lambda data: services.campaign_task_redispatch(
            campaign_task_id=task.pk, by=request.user
        ),
        done=_("%(task)s sent again.") % {"task": task.get_kind_display()},
    )
