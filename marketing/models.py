"""Marketing (营销中心): promotion campaigns run across departments (DESIGN §5).

A ``Campaign`` (促销活动) moves through its state machine:

- **planned**: several ``CampaignPlan`` (促销方案) are drafted side by side, each with its
  mechanics, its ``PlanLine`` SKUs at campaign prices with target units, a target sales
  figure and a budget; one is chosen with a reason;
- **pre-heat** (预热): the brand promotion team promotes off-site between two dates;
- **coordination** (部门协同): the campaign dispatches one ``ecomops.worktasks`` task per
  department job (``CampaignTask``: warehouse stock, service training and reply scripts,
  design pages, platform registration); it cannot go live until each is completed or a
  manager waives it with a reason;
- **live** (活动中): inside the window the chosen plan's prices are listings' promotional
  prices for those SKUs, so orders pick them up (listings hands them to order pricing);
- **analysis** (复盘): results computed from the real orders placed in the window;
- **closed**: a summary report (PDF with a chart) and the lessons learned are kept.

It may be cancelled before analysis; its promotional prices and open tasks go with it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_fsm import ConcurrentTransitionMixin, FSMField, FSMModelMixin, transition

from ecomops.accounts.fields import actor_field
from ecomops.accounts.roles import Department
from ecomops.money import MoneyField
from ecomops.worktasks.models import WorkTask
from listings.models import Sku

USER = settings.AUTH_USER_MODEL


class CampaignState(models.TextChoices):
    PLANNED = "planned", pgettext_lazy("campaign", "Planned")
    PRE_HEAT = "pre_heat", _("Pre-heat")
    COORDINATION = "coordination", _("Coordination")
    LIVE = "live", pgettext_lazy("campaign", "Live")
    ANALYSIS = "analysis", _("Analysis")
    CLOSED = "closed", pgettext_lazy("campaign", "Closed")
    CANCELLED = "cancelled", pgettext_lazy("campaign", "Cancelled")


# States in which the campaign still runs (cancellation possible, prices may apply).
RUNNING_STATES = (
    CampaignState.PLANNED,
    CampaignState.PRE_HEAT,
    CampaignState.COORDINATION,
    CampaignState.LIVE,
)


class Campaign(ConcurrentTransitionMixin, FSMModelMixin, models.Model):
    """促销活动: one promotion with its plans, pre-heat, department tasks, window and results."""

    number = models.CharField(_("number"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=200)
    goal = models.TextField(_("goal"), blank=True)
    owner = models.ForeignKey(
        USER, on_delete=models.PROTECT, related_name="+", verbose_name=_("owner")
    )
    live_from = models.DateTimeField(_("window starts"))
    live_until = models.DateTimeField(_("window ends"))
    state = FSMField(
        _("state"), default=CampaignState.PLANNED, choices=CampaignState.choices, protected=True
    )
    chosen_plan = models.ForeignKey(
        "CampaignPlan",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("chosen plan"),
    )
    choice_reason = models.TextField(_("why this plan"), blank=True)
    chosen_at = models.DateTimeField(_("plan chosen"), null=True, blank=True)
    chosen_by = actor_field(_("plan chosen by"))
    preheat_from = models.DateField(_("pre-heat starts"), null=True, blank=True)
    preheat_until = models.DateField(_("pre-heat ends"), null=True, blank=True)
    preheat_channels = models.CharField(
        _("off-site channels"),
        max_length=300,
        blank=True,
        help_text=_("Where the brand promotion team promotes, e.g. Weibo, Xiaohongshu, Douyin."),
    )
    preheat_notes = models.TextField(_("pre-heat plan"), blank=True)
    preheat_started_at = models.DateTimeField(_("pre-heat started"), null=True, blank=True)
    coordination_started_at = models.DateTimeField(_("coordination started"), null=True, blank=True)
    live_at = models.DateTimeField(_("went live"), null=True, blank=True)
    went_live_by = actor_field(_("taken live by"))
    analysis_at = models.DateTimeField(_("analysis started"), null=True, blank=True)
    ended_early_at = models.DateTimeField(_("ended early"), null=True, blank=True)
    results = models.JSONField(_("results"), default=dict, blank=True)
    results_at = models.DateTimeField(_("results computed"), null=True, blank=True)
    lessons = models.TextField(_("lessons learned"), blank=True)
    report = models.FileField(_("summary report"), upload_to="marketing/reports/", blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    closed_by = actor_field(_("closed by"))
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)
    cancel_reason = models.CharField(_("reason for cancelling"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    created_by = actor_field(_("created by"))

    class Meta:
        ordering = ["-live_from", "-pk"]
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        permissions = [
            ("run_campaign", _("Can plan and run campaigns")),
            ("waive_campaign_task", _("Can waive a campaign's department task")),
        ]
        indexes = [models.Index(fields=["state", "live_until"], name="marketing_campaign_due")]
        constraints = [
            models.CheckConstraint(
                condition=Q(live_until__gt=models.F("live_from")),
                name="marketing_campaign_window",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.name}"

    def get_absolute_url(self) -> str:
        return reverse("marketing:campaign_detail", args=[self.pk])

    @property
    def price_source(self) -> str:
        """How listings' promotional price rows name this campaign."""
        return f"campaign:{self.number}"

    def in_window(self, at: datetime) -> bool:
        return self.live_from <= at < self.live_until

    @transition(
        field=state,
        source=CampaignState.PLANNED,
        target=CampaignState.PRE_HEAT,
        custom={"label": _("start pre-heat")},
    )
    def start_preheat(self, *, at: datetime) -> None:
        self.preheat_started_at = at

    @transition(
        field=state,
        source=CampaignState.PRE_HEAT,
        target=CampaignState.COORDINATION,
        custom={"label": _("dispatch department tasks")},
    )
    def coordinate(self, *, at: datetime) -> None:
        self.coordination_started_at = at

    @transition(
        field=state,
        source=CampaignState.COORDINATION,
        target=CampaignState.LIVE,
        custom={"label": _("go live")},
    )
    def go_live(self, *, at: datetime, actor: Any) -> None:
        self.live_at = at
        self.went_live_by = actor

    @transition(
        field=state,
        source=CampaignState.LIVE,
        target=CampaignState.ANALYSIS,
        custom={"label": _("end and analyse")},
    )
    def analyse(self, *, at: datetime, early: bool) -> None:
        self.analysis_at = at
        if early:
            self.ended_early_at = at

    @transition(
        field=state,
        source=CampaignState.ANALYSIS,
        target=CampaignState.CLOSED,
        custom={"label": pgettext_lazy("campaign", "close")},
    )
    def close(self, *, at: datetime, actor: Any, lessons: str) -> None:
        self.closed_at = at
        self.closed_by = actor
        self.lessons = lessons

    @transition(
        field=state,
        source=list(RUNNING_STATES),
        target=CampaignState.CANCELLED,
        custom={"label": pgettext_lazy("campaign", "cancel")},
    )
    def cancel(self, *, at: datetime, why: str) -> None:
        self.cancelled_at = at
        self.cancel_reason = why


class CampaignPlan(models.Model):
    """促销方案: one way to run the campaign, drafted beside the others."""

    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="plans", verbose_name=_("campaign")
    )
    name = models.CharField(_("name"), max_length=100)
    mechanics = models.TextField(
        _("mechanics"),
        help_text=_("How the promotion works, e.g. a discount, money off above an amount, gifts."),
    )
    target_sales = MoneyField(_("target sales"), validators=[MinValueValidator(0)])
    budget = MoneyField(_("budget"), validators=[MinValueValidator(0)])
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    created_by = actor_field(_("created by"))

    class Meta:
        ordering = ["campaign", "pk"]
        verbose_name = _("promotion plan")
        verbose_name_plural = _("promotion plans")
        constraints = [
            models.UniqueConstraint(fields=["campaign", "name"], name="marketing_plan_unique_name")
        ]

    def __str__(self) -> str:
        return self.name


class PlanLine(models.Model):
    """One SKU of a plan at its campaign price, with the units the plan expects to sell."""

    plan = models.ForeignKey(
        CampaignPlan, on_delete=models.CASCADE, related_name="lines", verbose_name=_("plan")
    )
    sku = models.ForeignKey(Sku, on_delete=models.PROTECT, related_name="+", verbose_name=_("SKU"))
    campaign_price = MoneyField(_("campaign price"))
    target_units = models.PositiveIntegerField(_("target units"), default=0)
    below_subsidy_reason = models.CharField(
        _("reason for pricing below the base subsidy price"), max_length=300, blank=True
    )

    class Meta:
        ordering = ["plan", "pk"]
        verbose_name = _("plan SKU")
        verbose_name_plural = _("plan SKUs")
        constraints = [
            models.UniqueConstraint(fields=["plan", "sku"], name="marketing_plan_line_unique"),
            models.CheckConstraint(
                condition=Q(campaign_price__gt=0), name="marketing_plan_line_price_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.plan} {self.sku.code}"


class TaskKind(models.TextChoices):
    STOCK = "stock", _("Warehouse: prepare stock")
    SERVICE = "service", _("Service: train staff, publish reply scripts")
    DESIGN = "design", _("Design: campaign pages")
    PLATFORM = "platform", _("Shop manager: register on the platform")


# The department each job is sent to; its members open the campaign from their task.
TASK_DEPARTMENT: dict[str, str] = {
    TaskKind.STOCK: Department.WAREHOUSE,
    TaskKind.SERVICE: Department.SERVICE,
    TaskKind.DESIGN: Department.ECOMMERCE,
    TaskKind.PLATFORM: Department.ECOMMERCE,
}


class CampaignTask(models.Model):
    """One department job the campaign needs before it goes live, and its work task.

    Done when the task is completed, or when a manager waived it with a reason; a declined
    or cancelled task can be dispatched again (the latest task counts).
    """

    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="tasks", verbose_name=_("campaign")
    )
    kind = models.CharField(_("job"), max_length=20, choices=TaskKind.choices)
    work_task = models.ForeignKey(
        WorkTask, on_delete=models.PROTECT, related_name="+", verbose_name=_("task")
    )
    waived_at = models.DateTimeField(_("waived"), null=True, blank=True)
    waived_by = actor_field(_("waived by"))
    waiver_reason = models.CharField(_("reason for the waiver"), max_length=300, blank=True)

    class Meta:
        ordering = ["campaign", "pk"]
        verbose_name = _("campaign task")
        verbose_name_plural = _("campaign tasks")
        constraints = [
            models.UniqueConstraint(fields=["campaign", "kind"], name="marketing_task_unique_kind"),
            models.CheckConstraint(
                condition=Q(waived_at__isnull=True) | ~Q(waiver_reason=""),
                name="marketing_task_waiver_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.campaign.number} {self.get_kind_display()}"

    @property
    def is_waived(self) -> bool:
        return self.waived_at is not None
