"""Campaign use cases: plans, pre-heat, department tasks, the live window, analysis, report.

Every write takes the campaign's row lock first, so two people moving the same campaign
(or beat's sweep and a person) are serialised; the state machine refuses the loser.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from ecomops.accounts.roles import Department, RoleCode
from ecomops.accounts.selectors import acting_user
from ecomops.errors import ApplicationError, ConflictError, require_permission
from ecomops.fsm import transition
from ecomops.money import format_money, to_money
from ecomops.notifications.services import notify_role, notify_users
from ecomops.numbering.services import next_number
from ecomops.worktasks.models import TaskState
from ecomops.worktasks.services import task_cancel, task_dispatch
from listings.models import Sku, SkuState
from listings.selectors import sku_regular_price
from listings.services import (
    check_subsidy_floor,
    sku_promotion_price_set,
    sku_promotion_prices_end,
)
from listings.services.pricing import base_subsidy_price_of

from . import pdf
from .models import (
    RUNNING_STATES,
    TASK_DEPARTMENT,
    Campaign,
    CampaignPlan,
    CampaignState,
    CampaignTask,
    PlanLine,
    TaskKind,
)
from .selectors import (
    blocking_tasks,
    campaign_results,
    campaigns_to_end,
    campaigns_to_take_live,
    chosen_lines,
)

RUN = "marketing.run_campaign"
WAIVE = "marketing.waive_campaign_task"


class CampaignError(ApplicationError):
    pass


def _fields(message: str, **fields: str) -> CampaignError:
    return CampaignError(message, {"fields": {name: [text] for name, text in fields.items()}})


def _lock(campaign_id: int) -> Campaign:
    return Campaign.objects.select_for_update().get(pk=campaign_id)


def _planning(campaign: Campaign) -> None:
    if campaign.state != CampaignState.PLANNED:
        raise ConflictError(
            _("Plans can only change while the campaign is being planned (it is %(state)s).")
            % {"state": campaign.get_state_display()}
        )


def _link(campaign: Campaign) -> str:
    return campaign.get_absolute_url()


# --- Planning -------------------------------------------------------------------------------


def _check_window(live_from: datetime | None, live_until: datetime | None) -> None:
    errors: dict[str, list[str]] = {}
    if live_from is None:
        errors["live_from"] = [_("Enter when the campaign window starts.")]
    elif live_from <= timezone.now():
        errors["live_from"] = [_("The window must start in the future.")]
    if live_until is None:
        errors["live_until"] = [_("Enter when the campaign window ends.")]
    elif live_from is not None and live_until <= live_from:
        errors["live_until"] = [_("The window must end after it starts.")]
    if errors:
        raise CampaignError(_("Check the campaign window."), {"fields": errors})


def campaign_create(
    *,
    name: str,
    live_from: datetime,
    live_until: datetime,
    by: Any,
    goal: str = "",
    owner: Any | None = None,
) -> Campaign:
    """A new campaign in planning, owned by ``owner`` (default: who creates it)."""
    require_permission(by, RUN)
    if not (name or "").strip():
        raise _fields(_("Name the campaign."), name=_("This field is required."))
    _check_window(live_from, live_until)
    owner = owner or by
    if owner is None:
        raise _fields(_("Say who owns the campaign."), owner=_("This field is required."))
    with transaction.atomic():
        return Campaign.objects.create(
            number=next_number("HD"),
            name=name.strip(),
            goal=(goal or "").strip(),
            owner=owner,
            live_from=live_from,
            live_until=live_until,
            created_by=acting_user(by),
        )


def campaign_update(
    *, campaign_id: int, name: str, goal: str, live_from: datetime, live_until: datetime, by: Any
) -> Campaign:
    """Change the name, goal or window while planning."""
    require_permission(by, RUN)
    if not (name or "").strip():
        raise _fields(_("Name the campaign."), name=_("This field is required."))
    _check_window(live_from, live_until)
    with transaction.atomic():
        campaign = _lock(campaign_id)
        _planning(campaign)
        campaign.name = name.strip()
        campaign.goal = (goal or "").strip()
        campaign.live_from = live_from
        campaign.live_until = live_until
        campaign.save(update_fields=["name", "goal", "live_from", "live_until"])
    return campaign


def _money_field(value: Any, field: str, *, allow_zero: bool = True) -> Decimal:
    try:
        amount = to_money(value)
    except (InvalidOperation, TypeError, ValueError):
        raise _fields(
            _("Enter an amount in yuan, e.g. 99.00."), **{field: _("Not an amount.")}
        ) from None
    if amount < 0 or (amount == 0 and not allow_zero):
        raise _fields(
            _("The amount must be more than zero.")
            if not allow_zero
            else _("The amount cannot be negative."),
            **{field: _("Enter a positive amount.")},
        )
    return amount


def plan_save(
    *,
    campaign_id: int,
    name: str,
    mechanics: str,
    target_sales: Any,
    budget: Any,
    by: Any,
    notes: str = "",
    plan_id: int | None = None,
) -> CampaignPlan:
    """Draft a promotion plan beside the others (or change one) while planning."""
    require_permission(by, RUN)
    errors: dict[str, list[str]] = {}
    if not (name or "").strip():
        errors["name"] = [_("This field is required.")]
    if not (mechanics or "").strip():
        errors["mechanics"] = [_("Describe how the promotion works.")]
    if errors:
        raise CampaignError(_("Check the plan."), {"fields": errors})
    sales = _money_field(target_sales, "target_sales")
    spend = _money_field(budget, "budget")
    with transaction.atomic():
        campaign = _lock(campaign_id)
        _planning(campaign)
        if plan_id is None:
            plan = CampaignPlan(campaign=campaign, created_by=acting_user(by))
        else:
            plan = CampaignPlan.objects.get(pk=plan_id, campaign=campaign)
        plan.name = name.strip()
        plan.mechanics = mechanics.strip()
        plan.target_sales = sales
        plan.budget = spend
        plan.notes = (notes or "").strip()
        try:
            with transaction.atomic():
                plan.save()
        except IntegrityError:
            raise _fields(
                _("This campaign already has a plan called %(name)s.") % {"name": plan.name},
                name=_("Choose another name."),
            ) from None
    return plan


def plan_line_save(
    *,
    plan_id: int,
    sku_code: str,
    campaign_price: Any,
    target_units: Any,
    by: Any,
    below_subsidy_reason: str = "",
) -> PlanLine:
    """Put a listed SKU into a plan at its campaign price (below its online price; below
    its base subsidy price only with a reason, the rule of every price in listings)."""
    require_permission(by, RUN)
    code = (sku_code or "").strip()
    sku = Sku.objects.filter(code=code).first() if code else None
    if sku is None:
        raise _fields(
            _("Unknown SKU %(code)s.") % {"code": code or "—"}, sku=_("Enter one of our SKU codes.")
        )
    if sku.state != SkuState.LISTED:
        raise _fields(
            _("SKU %(code)s is not listed: a campaign cannot sell it.") % {"code": code},
            sku=_("Not listed."),
        )
    price = _money_field(campaign_price, "campaign_price", allow_zero=False)
    regular = sku_regular_price(sku=sku)
    if regular is not None and price > regular:
        raise _fields(
            _("The campaign price %(price)s is above the online price %(regular)s.")
            % {"price": format_money(price), "regular": format_money(regular)},
            campaign_price=_("Above the online price."),
        )
    check_subsidy_floor(sku=sku, price=price, below_subsidy_reason=below_subsidy_reason)
    floor = base_subsidy_price_of(sku)
    reason = (below_subsidy_reason or "").strip() if floor is not None and price < floor else ""
    try:
        units = int(target_units)
    except (TypeError, ValueError):
        units = -1
    if units < 0:
        raise _fields(
            _("Enter the units the plan expects to sell (0 or more)."),
            target_units=_("Enter a whole number."),
        )
    with transaction.atomic():
        plan = CampaignPlan.objects.select_related("campaign").get(pk=plan_id)
        campaign = _lock(plan.campaign_id)
        _planning(campaign)
        line, _created = PlanLine.objects.update_or_create(
            plan=plan,
            sku=sku,
            defaults={
                "campaign_price": price,
                "target_units": units,
                "below_subsidy_reason": reason,
            },
        )
    return line


def plan_line_remove(*, line_id: int, by: Any) -> None:
    require_permission(by, RUN)
    with transaction.atomic():
        line = PlanLine.objects.select_related("plan").get(pk=line_id)
        _planning(_lock(line.plan.campaign_id))
        line.delete()


def plan_choose(*, campaign_id: int, plan_id: int, reason: str, by: Any) -> Campaign:
    """Choose the plan the campaign runs, saying why (the others stay for the record)."""
    require_permission(by, RUN)
    if not (reason or "").strip():
        raise _fields(
            _("Say why this plan is chosen over the others."), reason=_("This field is required.")
        )
    with transaction.atomic():
        campaign = _lock(campaign_id)
        _planning(campaign)
        plan = CampaignPlan.objects.filter(pk=plan_id, campaign=campaign).first()
        if plan is None:
            raise _fields(_("Choose one of this campaign's plans."), plan=_("Unknown plan."))
        if not plan.lines.exists():
            raise ConflictError(
                _("Plan %(name)s has no SKUs yet: add them with their campaign prices first.")
                % {"name": plan.name}
            )
        campaign.chosen_plan = plan
        campaign.choice_reason = reason.strip()
        campaign.chosen_at = timezone.now()
        campaign.chosen_by = acting_user(by)
        campaign.save(update_fields=["chosen_plan", "choice_reason", "chosen_at", "chosen_by"])
    return campaign


# --- Pre-heat and coordination --------------------------------------------------------------


def campaign_start_preheat(
    *,
    campaign_id: int,
    preheat_from: date,
    preheat_until: date,
    channels: str,
    notes: str,
    by: Any,
) -> Campaign:
    """The brand promotion team promotes the campaign off-site between two dates, ending
    by the time the window opens."""
    require_permission(by, RUN)
    errors: dict[str, list[str]] = {}
    if preheat_from is None:
        errors["preheat_from"] = [_("Enter when the pre-heat starts.")]
    if preheat_until is None:
        errors["preheat_until"] = [_("Enter when the pre-heat ends.")]
    elif preheat_from is not None and preheat_until < preheat_from:
        errors["preheat_until"] = [_("The pre-heat ends before it starts.")]
    if not (channels or "").strip():
        errors["channels"] = [_("Say where the brand promotion team promotes.")]
    if errors:
        raise CampaignError(_("Check the pre-heat."), {"fields": errors})
    with transaction.atomic():
        campaign = _lock(campaign_id)
        if campaign.state == CampaignState.PLANNED and campaign.chosen_plan_id is None:
            raise ConflictError(_("Choose the plan the campaign runs first."))
        if preheat_until > timezone.localtime(campaign.live_from).date():
            raise _fields(
                _("The pre-heat must end by the day the window opens (%(day)s).")
                % {"day": timezone.localtime(campaign.live_from).date()},
                preheat_until=_("After the window opens."),
            )
        campaign.preheat_from = preheat_from
        campaign.preheat_until = preheat_until
        campaign.preheat_channels = channels.strip()
        campaign.preheat_notes = (notes or "").strip()
        transition(
            campaign,
            "start_preheat",
            by=by,
            at=timezone.now(),
            update_fields=[
                "preheat_started_at",
                "preheat_from",
                "preheat_until",
                "preheat_channels",
                "preheat_notes",
            ],
        )
    notify_role(
        role=RoleCode.PROMOTION,
        title=_("Pre-heat of %(campaign)s: %(start)s to %(end)s")
        % {"campaign": campaign.name, "start": preheat_from, "end": preheat_until},
        body=campaign.preheat_channels,
        url=_link(campaign),
        key=f"campaign:{campaign.pk}:preheat",
    )
    return campaign


# What each department job asks for: (department, role that does it or "", title, details).
def _task_text(campaign: Campaign, kind: str, lines: list[PlanLine]) -> tuple[str, str, str, str]:
    window = _("%(start)s to %(end)s") % {
        "start": timezone.localtime(campaign.live_from).strftime("%Y-%m-%d %H:%M"),
        "end": timezone.localtime(campaign.live_until).strftime("%Y-%m-%d %H:%M"),
    }
    skus = "\n".join(
        _("- %(code)s %(name)s: %(price)s, target %(units)s units")
        % {
            "code": line.sku.code,
            "name": line.sku.name,
            "price": format_money(line.campaign_price),
            "units": line.target_units,
        }
        for line in lines
    )
    plan = campaign.chosen_plan
    mechanics = plan.mechanics if plan else ""
    head = _("Campaign %(number)s %(name)s, window %(window)s.") % {
        "number": campaign.number,
        "name": campaign.name,
        "window": window,
    }
    if kind == TaskKind.STOCK:
        return (
            TASK_DEPARTMENT[kind],
            RoleCode.WAREHOUSE_ADMIN,
            _("Prepare stock for campaign %(name)s") % {"name": campaign.name},
            f"{head}\n"
            + _("Check and set aside stock for the campaign's SKUs and target units:")
            + f"\n{skus}",
        )
    if kind == TaskKind.SERVICE:
        return (
            TASK_DEPARTMENT[kind],
            "",
            _("Train staff and publish reply scripts for campaign %(name)s")
            % {"name": campaign.name},
            f"{head}\n"
            + _("Mechanics: %(mechanics)s") % {"mechanics": mechanics}
            + "\n"
            + _("Brief the service staff and publish the reply scripts for these SKUs:")
            + f"\n{skus}",
        )
    if kind == TaskKind.DESIGN:
        return (
            TASK_DEPARTMENT[kind],
            RoleCode.DESIGNER,
            _("Campaign pages for %(name)s") % {"name": campaign.name},
            f"{head}\n"
            + _("Mechanics: %(mechanics)s") % {"mechanics": mechanics}
            + "\n"
            + _("Design the campaign pages and banners for these SKUs:")
            + f"\n{skus}",
        )
    return (
        TASK_DEPARTMENT[kind],
        RoleCode.SHOP_MANAGER,
        _("Register campaign %(name)s on the platform") % {"name": campaign.name},
        f"{head}\n"
        + _("Mechanics: %(mechanics)s") % {"mechanics": mechanics}
        + "\n"
        + _("Register the campaign and its prices in the platform's promotion tools:")
        + f"\n{skus}",
    )


def _task_due(campaign: Campaign) -> datetime:
    """Tasks are due a lead time before the window opens, and never in the past."""
    lead = timedelta(hours=settings.MARKETING_TASK_LEAD_HOURS)
    return max(campaign.live_from - lead, timezone.now() + timedelta(hours=1))


def _dispatch(campaign: Campaign, kind: str, lines: list[PlanLine], by: Any) -> Any:
    department, role, title, details = _task_text(campaign, kind, lines)
    return task_dispatch(
        from_department=Department.MARKETING,
        to_department=department,
        to_role=role,
        title=title,
        details=details,
        due_at=_task_due(campaign),
        by=by,
        source_label=_("Campaign %(number)s") % {"number": campaign.number},
        source_url=_link(campaign),
    )


def campaign_coordinate(*, campaign_id: int, by: Any) -> Campaign:
    """Dispatch the campaign's tasks to each department: warehouse stock, service
    training and reply scripts, design pages, platform registration."""
    require_permission(by, RUN)
    with transaction.atomic():
        campaign = _lock(campaign_id)
        transition(campaign, "coordinate", by=by, at=timezone.now())
        lines = chosen_lines(campaign)
        for kind in TaskKind.values:
            CampaignTask.objects.create(
                campaign=campaign, kind=kind, work_task=_dispatch(campaign, kind, lines, by)
            )
    return campaign


def campaign_task_redispatch(*, campaign_task_id: int, by: Any) -> CampaignTask:
    """Send a declined or cancelled job again (the new task replaces the old one)."""
    require_permission(by, RUN)
    with transaction.atomic():
        task = CampaignTask.objects.select_related("work_task").get(pk=campaign_task_id)
        campaign = _lock(task.campaign_id)
        if campaign.state != CampaignState.COORDINATION:
            raise ConflictError(_("Tasks are sent again only while the campaign is coordinated."))
        if task.work_task.state not in (TaskState.DECLINED, TaskState.CANCELLED):
            raise ConflictError(
                _("Task %(number)s is %(state)s: only a declined or cancelled task is sent again.")
                % {"number": task.work_task.number, "state": task.work_task.get_state_display()}
            )
        task.work_task = _dispatch(campaign, task.kind, chosen_lines(campaign), by)
        task.save(update_fields=["work_task"])
    return task


def campaign_task_waive(*, campaign_task_id: int, reason: str, by: Any) -> CampaignTask:
    """A manager lets the campaign go live without this job, saying why."""
    require_permission(by, WAIVE, _("Only a manager can waive a campaign's department task."))
    if not (reason or "").strip():
        raise _fields(_("Say why the task is waived."), reason=_("This field is required."))
    with transaction.atomic():
        task = CampaignTask.objects.select_related("work_task").get(pk=campaign_task_id)
        campaign = _lock(task.campaign_id)
        if campaign.state != CampaignState.COORDINATION:
            raise ConflictError(_("Tasks are waived only while the campaign is coordinated."))
        if task.is_waived:
            raise ConflictError(_("This task is already waived."))
        if task.work_task.state == TaskState.COMPLETED:
            raise ConflictError(_("This task is completed; there is nothing to waive."))
        task.waived_at = timezone.now()
        task.waived_by = acting_user(by)
        task.waiver_reason = reason.strip()
        task.save(update_fields=["waived_at", "waived_by", "waiver_reason"])
    notify_users(
        users=[campaign.owner],
        title=_("%(task)s waived for campaign %(campaign)s")
        % {"task": task.get_kind_display(), "campaign": campaign.name},
        body=task.waiver_reason,
        url=_link(campaign),
        key=f"campaign-task:{task.pk}:waived",
    )
    return task


# --- The live window ------------------------------------------------------------------------


def _go_live(campaign: Campaign, by: Any) -> None:
    now = timezone.now()
    if now >= campaign.live_until:
        raise ConflictError(
            _("The window ended on %(end)s: the campaign can no longer go live.")
            % {"end": timezone.localtime(campaign.live_until).strftime("%Y-%m-%d %H:%M")}
        )
    blocking = blocking_tasks(campaign)
    if blocking:
        raise ConflictError(
            _(
                "The campaign cannot go live while these tasks are open: %(tasks)s. Wait for "
                "the departments to complete them, or ask a manager to waive them."
            )
            % {
                "tasks": "; ".join(
                    f"{t.get_kind_display()} ({t.work_task.number}, "
                    f"{t.work_task.get_state_display()})"
                    for t in blocking
                )
            },
            {"blocking": [t.kind for t in blocking]},
        )
    transition(
        campaign,
        "go_live",
        by=by,
        at=now,
        actor=acting_user(by),
        update_fields=["live_at", "went_live_by"],
    )
    reason = _("Campaign %(number)s %(name)s") % {"number": campaign.number, "name": campaign.name}
    for line in chosen_lines(campaign):
        sku_promotion_price_set(
            sku_id=line.sku_id,
            price=line.campaign_price,
            valid_from=max(campaign.live_from, now),
            valid_until=campaign.live_until,
            source=campaign.price_source,
            reason=reason,
            by=acting_user(by),
            below_subsidy_reason=line.below_subsidy_reason,
        )


def campaign_go_live(*, campaign_id: int, by: Any) -> Campaign:
    """Take the campaign live: every department task completed or waived. The chosen
    plan's prices become listings' promotional prices for its SKUs, in effect from now (or
    the window's start) to the window's end, so orders placed then pay them."""
    require_permission(by, RUN)
    with transaction.atomic():
        campaign = _lock(campaign_id)
        _go_live(campaign, by)
    notify_users(
        users=[campaign.owner],
        title=_("Campaign %(name)s is live") % {"name": campaign.name},
        url=_link(campaign),
        key=f"campaign:{campaign.pk}:live",
    )
    return campaign


def _analyse(campaign: Campaign, *, early: bool, by: Any) -> None:
    now = timezone.now()
    transition(
        campaign,
        "analyse",
        by=by,
        at=now,
        early=early,
        update_fields=["analysis_at", "ended_early_at"],
    )
    if early:
        sku_promotion_prices_end(source=campaign.price_source, at=now)
    campaign.results = campaign_results(campaign)
    campaign.results_at = now
    campaign.save(update_fields=["results", "results_at"])


def campaign_end(*, campaign_id: int, by: Any) -> Campaign:
    """End a live campaign before its window closes: its prices stop now, analysis starts."""
    require_permission(by, RUN)
    with transaction.atomic():
        campaign = _lock(campaign_id)
        if campaign.state == CampaignState.LIVE and timezone.now() >= campaign.live_until:
            _analyse(campaign, early=False, by=by)
        else:
            _analyse(campaign, early=True, by=by)
    return campaign


def campaigns_sweep(*, now: datetime | None = None) -> dict[str, int]:
    """Beat's look at campaigns (every few minutes; harmless twice or late):

    - a live campaign whose window has ended moves to analysis with its results;
    - a coordinated campaign whose window has opened goes live when its tasks are done;
      while they are not, its owner and the managers are told once.
    """
    now = now or timezone.now()
    counts = {"ended": 0, "live": 0, "blocked": 0}
    for pk in campaigns_to_end(now).values_list("pk", flat=True):
        with transaction.atomic():
            campaign = Campaign.objects.select_for_update(skip_locked=True).filter(pk=pk).first()
            if campaign is None or campaign.state != CampaignState.LIVE:
                continue
            _analyse(campaign, early=False, by=None)
        counts["ended"] += 1
        notify_users(
            users=[campaign.owner],
            title=_("Campaign %(name)s ended: review its results") % {"name": campaign.name},
            url=_link(campaign),
            key=f"campaign:{campaign.pk}:ended",
        )
    for pk in campaigns_to_take_live(now).values_list("pk", flat=True):
        with transaction.atomic():
            campaign = Campaign.objects.select_for_update(skip_locked=True).filter(pk=pk).first()
            if campaign is None or campaign.state != CampaignState.COORDINATION:
                continue
            blocking = blocking_tasks(campaign)
            if not blocking:
                _go_live(campaign, None)
                counts["live"] += 1
                continue
        counts["blocked"] += 1
        title = _("Campaign %(name)s cannot go live: %(count)s department tasks open") % {
            "name": campaign.name,
            "count": len(blocking),
        }
        body = "; ".join(f"{t.get_kind_display()} ({t.work_task.number})" for t in blocking)
        key = f"campaign:{campaign.pk}:blocked"
        notify_users(users=[campaign.owner], title=title, body=body, url=_link(campaign), key=key)
        notify_role(role=RoleCode.MANAGER, title=title, body=body, url=_link(campaign), key=key)
    return counts


# --- Analysis and closing -------------------------------------------------------------------


def campaign_refresh_results(*, campaign_id: int, by: Any) -> Campaign:
    """Compute the results again from the orders (returns keep coming in after the window)."""
    require_permission(by, RUN)
    with transaction.atomic():
        campaign = _lock(campaign_id)
        if campaign.state != CampaignState.ANALYSIS:
            raise ConflictError(_("Results are computed while the campaign is analysed."))
        campaign.results = campaign_results(campaign)
        campaign.results_at = timezone.now()
        campaign.save(update_fields=["results", "results_at"])
    return campaign


def campaign_close(*, campaign_id: int, lessons: str, by: Any) -> Campaign:
    """Close the analysed campaign with its lessons learned: the results are frozen and
    the summary report (PDF in Chinese with a chart) is kept with it."""
    require_permission(by, RUN)
    if not (lessons or "").strip():
        raise _fields(
            _("Write down the lessons learned before closing."),
            lessons=_("This field is required."),
        )
    with transaction.atomic():
        campaign = _lock(campaign_id)
        now = timezone.now()
        campaign.results = campaign_results(campaign)
        campaign.results_at = now
        transition(
            campaign,
            "close",
            by=by,
            at=now,
            actor=acting_user(by),
            lessons=lessons.strip(),
            update_fields=["closed_at", "closed_by", "lessons", "results", "results_at"],
        )
        with translation.override("zh-hans"):
            content = pdf.campaign_report(campaign, lines=chosen_lines(campaign))
        campaign.report.save(f"{campaign.number}-report.pdf", ContentFile(content), save=False)
        campaign.save(update_fields=["report"])
    return campaign


def campaign_cancel(*, campaign_id: int, reason: str, by: Any) -> Campaign:
    """Call the campaign off before analysis: its open department tasks are cancelled and
    its promotional prices end now (those not started are withdrawn)."""
    require_permission(by, RUN)
    if not (reason or "").strip():
        raise _fields(_("Say why the campaign is cancelled."), reason=_("This field is required."))
    with transaction.atomic():
        campaign = _lock(campaign_id)
        if campaign.state not in RUNNING_STATES:
            raise ConflictError(
                _("Campaign %(number)s is %(state)s and can no longer be cancelled.")
                % {"number": campaign.number, "state": campaign.get_state_display()}
            )
        transition(
            campaign,
            "cancel",
            by=by,
            at=timezone.now(),
            why=reason.strip(),
            reason=reason.strip(),
            update_fields=["cancelled_at", "cancel_reason"],
        )
        sku_promotion_prices_end(source=campaign.price_source)
        why = _("Campaign %(number)s cancelled: %(reason)s") % {
            "number": campaign.number,
            "reason": reason.strip(),
        }
        for task in campaign.tasks.select_related("work_task"):
            if task.work_task.state in (TaskState.DISPATCHED, TaskState.ACCEPTED):
                task_cancel(task_id=task.work_task_id, reason=why, by=by)
    return campaign
