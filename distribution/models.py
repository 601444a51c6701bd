"""Distribution (渠道分销): agents, distributors and group-buying deals (DESIGN §5).

- A ``Partner`` (合作伙伴) is a shop or site we sell through: an agent (代理, a Taobao
  shop that buys from us), a distributor (分销商, a seller on the Tmall distribution
  platform) or a group-buying site (团购网站). It has contacts and a ``ContactLogEntry``
  log of calls and messages whose next steps remind their owner. Its ``state`` is the
  recruitment state machine: an agent goes prospect → contacted → agreed → first order
  placed → first order paid (at least ``DISTRIBUTION_AGENT_FIRST_ORDER_MIN``) → authorized
  → active; a distributor applies and is screened; a group-buying site is contacted and
  becomes active when a deal is agreed. Active partners may be suspended or terminated.
- Partners who order from us or sell our goods get their own ``orders.Channel``, so their
  orders come in through the signed intake API and follow the normal flows.
- An ``Authorization`` is a numbered brand authorization letter (品牌授权书, PDF) with the
  product data package (商品资料包) issued with it.
- ``ProgrammeVersion`` holds the distributor programme's rules and the brochure text; a
  ``Screening`` is the decision on one distributor's application.
- A ``Deal`` (团购活动) is one group-buying promotion with one site: its ``DealLine`` SKUs
  at the group price, its ``DealDocument`` papers, its schedule, stock and content
  preparation, live window, shipping, and the remittance finance reconciles.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_fsm import ConcurrentTransitionMixin, FSMField, FSMModelMixin, transition

from ecomops.accounts.fields import actor_field
from ecomops.money import MoneyField
from listings.models import Brand, Sku
from orders.models import Channel, Order

USER = settings.AUTH_USER_MODEL


# --- Partners -----------------------------------------------------------------------------


class PartnerKind(models.TextChoices):
    AGENT = "agent", _("Agent")
    DISTRIBUTOR = "distributor", _("Distributor")
    GROUP_BUYING = "group_buying", _("Group-buying site")


class Platform(models.TextChoices):
    TAOBAO = "taobao", _("Taobao")
    TMALL = "tmall", _("Tmall")
    TMALL_DISTRIBUTION = "tmall_distribution", _("Tmall distribution platform")
    JD = "jd", _("JD.com")
    PINDUODUO = "pinduoduo", _("Pinduoduo")
    MEITUAN = "meituan", _("Meituan group-buying")
    DIANPING = "dianping", _("Dianping group-buying")
    WECHAT = "wechat", _("WeChat shop")
    OTHER = "other", pgettext_lazy("platform", "Other")


# The order channel kind each partner kind sells through.
CHANNEL_KIND = {
    PartnerKind.AGENT: "agent",
    PartnerKind.DISTRIBUTOR: "distributor",
    PartnerKind.GROUP_BUYING: "group_buying",
}


class PartnerState(models.TextChoices):
    PROSPECT = "prospect", _("Prospect")
    CONTACTED = "contacted", _("Contacted")
    AGREED = "agreed", _("Agreed")
    FIRST_ORDER_PLACED = "first_order_placed", _("First order placed")
    FIRST_ORDER_PAID = "first_order_paid", _("First order paid")
    AUTHORIZED = "authorized", _("Authorized")
    APPLIED = "applied", _("Applied")
    DECLINED = "declined", _("Declined")
    ACTIVE = "active", pgettext_lazy("partner state", "Active")
    SUSPENDED = "suspended", _("Suspended")
    TERMINATED = "terminated", _("Terminated")


# The pipeline's columns, per kind, in the order a partner moves through them.
PIPELINE = {
    PartnerKind.AGENT: [
        PartnerState.PROSPECT,
        PartnerState.CONTACTED,
        PartnerState.AGREED,
        PartnerState.FIRST_ORDER_PLACED,
        PartnerState.FIRST_ORDER_PAID,
        PartnerState.AUTHORIZED,
        PartnerState.ACTIVE,
        PartnerState.SUSPENDED,
    ],
    PartnerKind.DISTRIBUTOR: [
        PartnerState.PROSPECT,
        PartnerState.CONTACTED,
        PartnerState.APPLIED,
        PartnerState.ACTIVE,
        PartnerState.SUSPENDED,
        PartnerState.DECLINED,
    ],
    PartnerKind.GROUP_BUYING: [
        PartnerState.PROSPECT,
        PartnerState.CONTACTED,
        PartnerState.ACTIVE,
        PartnerState.SUSPENDED,
    ],
}


def _is_agent(partner: models.Model) -> bool:
    return getattr(partner, "kind", None) == PartnerKind.AGENT


def _is_distributor(partner: models.Model) -> bool:
    return getattr(partner, "kind", None) == PartnerKind.DISTRIBUTOR


def _is_group_buying(partner: models.Model) -> bool:
    return getattr(partner, "kind", None) == PartnerKind.GROUP_BUYING


class Partner(ConcurrentTransitionMixin, FSMModelMixin, models.Model):
    """合作伙伴: an agent, distributor or group-buying site, and where its recruitment stands."""

    number = models.CharField(_("number"), max_length=30, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=PartnerKind.choices)
    state = FSMField(
        _("state"), default=PartnerState.PROSPECT, choices=PartnerState.choices, protected=True
    )
    shop_name = models.CharField(_("shop name"), max_length=200)
    platform = models.CharField(_("platform"), max_length=30, choices=Platform.choices)
    shop_url = models.URLField(_("shop URL"), max_length=500, blank=True)
    company_name = models.CharField(_("company name"), max_length=200, blank=True)
    credit_code = models.CharField(_("unified social credit code"), max_length=18, blank=True)
    company_address = models.CharField(_("company address"), max_length=300, blank=True)
    legal_representative = models.CharField(_("legal representative"), max_length=100, blank=True)
    owner = models.ForeignKey(
        USER,
        on_delete=models.PROTECT,
        related_name="distribution_partners",
        verbose_name=_("owner"),
        help_text=_("The distribution specialist or network sales colleague in charge."),
    )
    notes = models.TextField(_("notes"), blank=True)
    channel = models.OneToOneField(
        Channel,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="partner",
        verbose_name=_("order channel"),
    )
    # Agent recruitment
    recommended_skus = models.ManyToManyField(
        Sku, blank=True, related_name="+", verbose_name=_("products recommended")
    )
    recommendation_note = models.TextField(_("what was recommended"), blank=True)
    contacted_at = models.DateTimeField(_("contacted"), null=True, blank=True)
    agreed_at = models.DateTimeField(_("agreed"), null=True, blank=True)
    first_order = models.OneToOneField(
        Order,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("first order"),
    )
    first_order_paid_amount = MoneyField(_("first order paid"), null=True, blank=True)
    first_order_paid_at = models.DateTimeField(_("first order paid on"), null=True, blank=True)
    # Distributor application (the screening criteria's inputs)
    shop_rating = models.DecimalField(
        _("shop rating"),
        max_digits=3,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("5"))],
        help_text=_("The platform's shop rating, 0 to 5."),
    )
    monthly_sales = models.PositiveIntegerField(
        _("monthly sales (CNY)"), null=True, blank=True, help_text=_("The shop's average sales.")
    )
    years_open = models.DecimalField(
        _("years open"),
        max_digits=4,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
    )
    applied_at = models.DateTimeField(_("applied"), null=True, blank=True)
    activated_at = models.DateTimeField(_("active since"), null=True, blank=True)
    suspended_at = models.DateTimeField(_("suspended"), null=True, blank=True)
    ended_at = models.DateTimeField(_("terminated"), null=True, blank=True)
    end_reason = models.CharField(_("reason"), max_length=500, blank=True)
    created_by = actor_field(_("created by"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["shop_name", "pk"]
        verbose_name = _("partner")
        verbose_name_plural = _("partners")
        indexes = [models.Index(fields=["kind", "state"])]
        constraints = [
            models.CheckConstraint(
                condition=~Q(state="terminated") | ~Q(end_reason=""),
                name="distribution_partner_terminated_reason",
            )
        ]
        permissions = [
            ("handle_partner", _("Can recruit partners and keep their contact log")),
            ("authorize_partner", _("Can issue brand authorization letters")),
            ("screen_distributor", _("Can screen distributor applications")),
            ("override_screening", _("Can accept a distributor who misses the criteria")),
            ("end_partner", _("Can suspend and terminate partners")),
            ("edit_programme", _("Can edit the distributor programme")),
        ]

    def __str__(self) -> str:
        return self.shop_name

    def get_absolute_url(self) -> str:
        return reverse("distribution:partner_detail", args=[self.pk])

    # --- agent recruitment (and the first contact of every kind) ---

    @transition(
        field=state,
        source=PartnerState.PROSPECT,
        target=PartnerState.CONTACTED,
        permission="distribution.handle_partner",
        custom={"label": _("record the first contact")},
    )
    def contact(self, *, at: datetime, note: str) -> None:
        self.contacted_at = at
        self.recommendation_note = note

    @transition(
        field=state,
        source=PartnerState.CONTACTED,
        target=PartnerState.AGREED,
        conditions=[_is_agent],
        permission="distribution.handle_partner",
        custom={"label": _("record the agreement")},
    )
    def agree(self, *, at: datetime) -> None:
        self.agreed_at = at

    @transition(
        field=state,
        source=PartnerState.AGREED,
        target=PartnerState.FIRST_ORDER_PLACED,
        conditions=[_is_agent],
        permission="distribution.handle_partner",
        custom={"label": _("record the first order")},
    )
    def place_first_order(self, *, order: Order) -> None:
        self.first_order = order

    @transition(
        field=state,
        source=PartnerState.FIRST_ORDER_PLACED,
        target=PartnerState.FIRST_ORDER_PAID,
        conditions=[_is_agent],
        permission="distribution.handle_partner",
        custom={"label": _("confirm the first order's payment")},
    )
    def first_order_paid(self, *, amount: Decimal, at: datetime) -> None:
        self.first_order_paid_amount = amount
        self.first_order_paid_at = at

    @transition(
        field=state,
        source=PartnerState.FIRST_ORDER_PAID,
        target=PartnerState.AUTHORIZED,
        conditions=[_is_agent],
        permission="distribution.authorize_partner",
        custom={"label": _("issue the brand authorization")},
    )
    def authorize(self) -> None:
        """The letter and the data package are issued by the service with this step."""

    @transition(
        field=state,
        source=PartnerState.AUTHORIZED,
        target=PartnerState.ACTIVE,
        conditions=[_is_agent],
        permission="distribution.handle_partner",
        custom={"label": _("activate")},
    )
    def activate(self, *, at: datetime) -> None:
        self.activated_at = at

    # --- distributors ---

    @transition(
        field=state,
        source=[PartnerState.PROSPECT, PartnerState.CONTACTED, PartnerState.DECLINED],
        target=PartnerState.APPLIED,
        conditions=[_is_distributor],
        permission="distribution.handle_partner",
        custom={"label": _("record the application")},
    )
    def apply(self, *, at: datetime) -> None:
        self.applied_at = at

    @transition(
        field=state,
        source=PartnerState.APPLIED,
        target=PartnerState.ACTIVE,
        conditions=[_is_distributor],
        permission="distribution.screen_distributor",
        custom={"label": _("accept")},
    )
    def accept(self, *, at: datetime) -> None:
        self.activated_at = at

    @transition(
        field=state,
        source=PartnerState.APPLIED,
        target=PartnerState.DECLINED,
        conditions=[_is_distributor],
        permission="distribution.screen_distributor",
        custom={"label": _("decline")},
    )
    def decline(self) -> None:
        """The decision and its reasons are the screening record."""

    # --- group-buying sites ---

    @transition(
        field=state,
        source=[PartnerState.PROSPECT, PartnerState.CONTACTED],
        target=PartnerState.ACTIVE,
        conditions=[_is_group_buying],
        custom={"label": _("activate")},
    )
    def deal_agreed(self, *, at: datetime) -> None:
        """A site becomes active with its first agreed deal."""
        self.activated_at = at

    # --- every kind ---

    @transition(
        field=state,
        source=PartnerState.ACTIVE,
        target=PartnerState.SUSPENDED,
        permission="distribution.end_partner",
        custom={"label": _("suspend")},
    )
    def suspend(self, *, at: datetime, why: str) -> None:
        self.suspended_at = at
        self.end_reason = why

    @transition(
        field=state,
        source=PartnerState.SUSPENDED,
        target=PartnerState.ACTIVE,
        permission="distribution.end_partner",
        custom={"label": _("reinstate")},
    )
    def reinstate(self) -> None:
        self.suspended_at = None
        self.end_reason = ""

    @transition(
        field=state,
        source=[s for s in PartnerState.values if s != PartnerState.TERMINATED],
        target=PartnerState.TERMINATED,
        permission="distribution.end_partner",
        custom={"label": _("terminate")},
    )
    def terminate(self, *, at: datetime, why: str) -> None:
        self.ended_at = at
        self.end_reason = why

    @property
    def is_open(self) -> bool:
        return self.state not in (PartnerState.TERMINATED, PartnerState.DECLINED)


class PartnerContact(models.Model):
    """联系人: a person at the partner."""

    partner = models.ForeignKey(
        Partner, on_delete=models.CASCADE, related_name="contacts", verbose_name=_("partner")
    )
    name = models.CharField(_("name"), max_length=100)
    title = models.CharField(pgettext_lazy("job", "position"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    wechat = models.CharField(_("WeChat"), max_length=50, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    primary = models.BooleanField(_("main contact"), default=False)

    class Meta:
        ordering = ["-primary", "name", "pk"]
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")

    def __str__(self) -> str:
        return self.name


class ContactMethod(models.TextChoices):
    CALL = "call", _("Phone call")
    MESSAGE = "message", _("Platform message")
    WECHAT = "wechat", _("WeChat")
    EMAIL = "email", _("E-mail")
    VISIT = "visit", _("Visit")


class ContactLogEntry(models.Model):
    """联系记录: one call or message, its outcome and the next step with its reminder."""

    partner = models.ForeignKey(
        Partner, on_delete=models.CASCADE, related_name="log", verbose_name=_("partner")
    )
    at = models.DateTimeField(_("when"))
    method = models.CharField(_("by"), max_length=10, choices=ContactMethod.choices)
    summary = models.TextField(_("what was said"))
    outcome = models.CharField(_("outcome"), max_length=300, blank=True)
    next_step = models.CharField(_("next step"), max_length=300, blank=True)
    next_step_due = models.DateTimeField(_("next step due"), null=True, blank=True)
    next_step_done_at = models.DateTimeField(_("next step done"), null=True, blank=True)
    reminded_at = models.DateTimeField(_("reminded"), null=True, blank=True)
    recorded_by = actor_field(_("recorded by"))
    recorded_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("contact log entry")
        verbose_name_plural = _("contact log")
        indexes = [models.Index(fields=["next_step_due", "reminded_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(next_step_due__isnull=True) | ~Q(next_step=""),
                name="distribution_log_due_needs_step",
            )
        ]

    def __str__(self) -> str:
        return f"{self.partner} {self.at:%Y-%m-%d}"


# --- Brand authorization ----------------------------------------------------------------------


def _letter_path(instance: Authorization, filename: str) -> str:
    return f"distribution/authorizations/{instance.number}/{filename}"


class Authorization(models.Model):
    """品牌授权书: the numbered letter issued to an agent, with its product data package."""

    number = models.CharField(_("letter number"), max_length=30, unique=True)
    partner = models.ForeignKey(
        Partner,
        on_delete=models.PROTECT,
        related_name="authorizations",
        verbose_name=_("partner"),
    )
    brands = models.ManyToManyField(Brand, related_name="+", verbose_name=_("brands"))
    channels = models.JSONField(
        _("authorized channels"),
        default=list,
        help_text=_("Platform codes the partner may sell on."),
    )
    territory = models.CharField(_("territory"), max_length=200, blank=True)
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"))
    letter = models.FileField(_("letter (PDF)"), upload_to=_letter_path, blank=True)
    data_package = models.FileField(_("product data package"), upload_to=_letter_path, blank=True)
    package_skus = models.JSONField(_("SKUs in the package"), default=list)
    issued_by = actor_field(_("issued by"))
    issued_at = models.DateTimeField(_("issued"))
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    expiry_reminded_at = models.DateTimeField(_("expiry reminder sent"), null=True, blank=True)

    class Meta:
        ordering = ["-issued_at", "-pk"]
        verbose_name = _("brand authorization")
        verbose_name_plural = _("brand authorizations")
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_until__gt=models.F("valid_from")),
                name="distribution_authorization_period",
            )
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def channel_labels(self) -> list[str]:
        labels = dict(Platform.choices)
        return [str(labels.get(code, code)) for code in self.channels]

    def is_valid_on(self, day: date) -> bool:
        return self.revoked_at is None and self.valid_from <= day <= self.valid_until


# --- Distributor programme --------------------------------------------------------------------


class ProgrammeVersion(models.Model):
    """分销商招募方案: the programme's rules and brochure text; each save is a new version."""

    version = models.PositiveIntegerField(_("version"), unique=True)
    title = models.CharField(_("title"), max_length=200)
    introduction = models.TextField(_("introduction"))
    benefits = models.TextField(_("what distributors get"), help_text=_("One per line."))
    rules = models.TextField(_("programme rules"), help_text=_("One rule per line."))
    discount_percent = models.DecimalField(
        _("distributor discount (%)"),
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    contact = models.CharField(_("how to apply"), max_length=300)
    changed_by = actor_field(_("changed by"))
    changed_at = models.DateTimeField(_("changed"), auto_now_add=True)

    class Meta:
        ordering = ["-version"]
        get_latest_by = "version"
        verbose_name = _("programme version")
        verbose_name_plural = _("distributor programme")

    def __str__(self) -> str:
        return f"{self.title} v{self.version}"

    def benefit_lines(self) -> list[str]:
        return [line.strip() for line in self.benefits.splitlines() if line.strip()]

    def rule_lines(self) -> list[str]:
        return [line.strip() for line in self.rules.splitlines() if line.strip()]


class ScreeningDecision(models.TextChoices):
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")


class Screening(models.Model):
    """审核记录: the decision on a distributor's application, with the criteria as they were."""

    partner = models.ForeignKey(
        Partner, on_delete=models.CASCADE, related_name="screenings", verbose_name=_("partner")
    )
    decision = models.CharField(_("decision"), max_length=10, choices=ScreeningDecision.choices)
    criteria = models.JSONField(
        _("criteria"), default=list, help_text=_("Each criterion, its minimum, the value, met.")
    )
    criteria_met = models.BooleanField(_("criteria met"))
    note = models.TextField(pgettext_lazy("remark", "note"), blank=True)
    decided_by = actor_field(_("decided by"))
    decided_at = models.DateTimeField(_("decided"))

    class Meta:
        ordering = ["-decided_at", "-pk"]
        verbose_name = _("screening")
        verbose_name_plural = _("screenings")

    def __str__(self) -> str:
        return f"{self.partner} {self.get_decision_display()}"


# --- Group-buying deals -----------------------------------------------------------------------


class DealState(models.TextChoices):
    CONTACTED = "contacted", _("Site contacted")
    PROPOSED = "proposed", _("Proposal sent")
    SCHEDULED = "scheduled", _("Approved and scheduled")
    PREPARED = "prepared", _("Stock and content prepared")
    LIVE = "live", _("Live")
    SHIPPED = "shipped", _("Orders shipped")
    REMITTANCE_EXPECTED = "remittance_expected", _("Remittance expected")
    REMITTED = "remitted", _("Remitted")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")


DEAL_BOARD = [s for s in DealState.values if s != DealState.CANCELLED]


def _has_lines(deal: models.Model) -> bool:
    return DealLine.objects.filter(deal_id=deal.pk).exists()


def _is_prepared(deal: models.Model) -> bool:
    return (
        getattr(deal, "stock_prepared_at", None) is not None
        and getattr(deal, "content_prepared_at", None) is not None
    )


class Deal(ConcurrentTransitionMixin, FSMModelMixin, models.Model):
    """团购活动: one group-buying promotion with one site."""

    number = models.CharField(_("number"), max_length=30, unique=True)
    partner = models.ForeignKey(
        Partner,
        on_delete=models.PROTECT,
        related_name="deals",
        verbose_name=pgettext_lazy("group buying", "site"),
    )
    title = models.CharField(_("title"), max_length=200)
    state = FSMField(
        _("state"), default=DealState.CONTACTED, choices=DealState.choices, protected=True
    )
    owner = models.ForeignKey(
        USER, on_delete=models.PROTECT, related_name="distribution_deals", verbose_name=_("owner")
    )
    notes = models.TextField(_("notes"), blank=True)
    proposed_at = models.DateTimeField(_("proposal sent"), null=True, blank=True)
    listing_date = models.DateField(_("listing date"), null=True, blank=True)
    end_date = models.DateField(_("last day"), null=True, blank=True)
    approved_at = models.DateTimeField(_("approved by the site"), null=True, blank=True)
    stock_requested_at = models.DateTimeField(_("stock requested"), null=True, blank=True)
    stock_prepared_at = models.DateTimeField(_("stock prepared"), null=True, blank=True)
    stock_prepared_by = actor_field(_("stock prepared by"))
    content_prepared_at = models.DateTimeField(
        _("images and texts prepared"), null=True, blank=True
    )
    content_note = models.TextField(_("images and texts"), blank=True)
    live_at = models.DateTimeField(_("went live"), null=True, blank=True)
    shipped_at = models.DateTimeField(_("all shipped"), null=True, blank=True)
    remittance_amount = MoneyField(_("remittance expected"), null=True, blank=True)
    remittance_due = models.DateField(_("remittance due"), null=True, blank=True)
    remitted_at = models.DateTimeField(_("remitted"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    summary = models.JSONField(_("deal summary"), default=dict, blank=True)
    lessons = models.TextField(_("remarks"), blank=True)
    cancel_reason = models.CharField(_("cancellation reason"), max_length=500, blank=True)
    created_by = actor_field(_("created by"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("group-buying deal")
        verbose_name_plural = _("group-buying deals")
        permissions = [
            ("handle_deal", _("Can run group-buying deals")),
            ("prepare_deal_stock", _("Can confirm a deal's stock is prepared")),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("listing_date")),
                name="distribution_deal_window",
            )
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("distribution:deal_detail", args=[self.pk])

    @transition(
        field=state,
        source=DealState.CONTACTED,
        target=DealState.PROPOSED,
        conditions=[_has_lines],
        permission="distribution.handle_deal",
        custom={"label": _("send the proposal")},
    )
    def propose(self, *, at: datetime) -> None:
        self.proposed_at = at

    @transition(
        field=state,
        source=DealState.PROPOSED,
        target=DealState.SCHEDULED,
        permission="distribution.handle_deal",
        custom={"label": _("record the site's approval")},
    )
    def schedule(self, *, at: datetime, listing_date: date, end_date: date) -> None:
        self.approved_at = at
        self.listing_date = listing_date
        self.end_date = end_date

    @transition(
        field=state,
        source=DealState.SCHEDULED,
        target=DealState.PREPARED,
        conditions=[_is_prepared],
        permission="distribution.handle_deal",
        custom={"label": _("mark as prepared")},
    )
    def prepared(self) -> None:
        """Stock and content were each confirmed by the service."""

    @transition(
        field=state,
        source=DealState.PREPARED,
        target=DealState.LIVE,
        permission="distribution.handle_deal",
        custom={"label": _("go live")},
    )
    def go_live(self, *, at: datetime) -> None:
        self.live_at = at

    @transition(
        field=state,
        source=DealState.LIVE,
        target=DealState.SHIPPED,
        permission="distribution.handle_deal",
        custom={"label": _("mark all orders shipped")},
    )
    def all_shipped(self, *, at: datetime) -> None:
        self.shipped_at = at

    @transition(
        field=state,
        source=DealState.SHIPPED,
        target=DealState.REMITTANCE_EXPECTED,
        permission="distribution.handle_deal",
        custom={"label": _("expect the remittance")},
    )
    def expect_remittance(self, *, amount: Decimal, due: date) -> None:
        self.remittance_amount = amount
        self.remittance_due = due

    @transition(
        field=state,
        source=DealState.REMITTANCE_EXPECTED,
        target=DealState.REMITTED,
        custom={"label": _("remitted")},
    )
    def remitted(self, *, at: datetime) -> None:
        self.remitted_at = at

    @transition(
        field=state,
        source=DealState.REMITTED,
        target=DealState.CLOSED,
        permission="distribution.handle_deal",
        custom={"label": _("close")},
    )
    def close(self, *, at: datetime, summary: dict[str, Any], lessons: str) -> None:
        self.closed_at = at
        self.summary = summary
        self.lessons = lessons

    @transition(
        field=state,
        source=[DealState.CONTACTED, DealState.PROPOSED, DealState.SCHEDULED, DealState.PREPARED],
        target=DealState.CANCELLED,
        permission="distribution.handle_deal",
        custom={"label": _("cancel")},
    )
    def cancel(self, *, why: str) -> None:
        self.cancel_reason = why


class DealLine(models.Model):
    """One SKU of a deal: the group price, the site's minimum and our estimate."""

    deal = models.ForeignKey(
        Deal, on_delete=models.CASCADE, related_name="lines", verbose_name=_("deal")
    )
    sku = models.ForeignKey(Sku, on_delete=models.PROTECT, related_name="+", verbose_name=_("SKU"))
    group_price = MoneyField(_("group price"))
    min_quantity = models.PositiveIntegerField(
        _("minimum quantity"), validators=[MinValueValidator(1)]
    )
    estimated_quantity = models.PositiveIntegerField(
        _("estimated quantity"), validators=[MinValueValidator(1)]
    )

    class Meta:
        ordering = ["deal", "pk"]
        verbose_name = _("deal line")
        verbose_name_plural = _("deal lines")
        constraints = [
            models.UniqueConstraint(fields=["deal", "sku"], name="distribution_deal_line_sku"),
            models.CheckConstraint(
                condition=Q(group_price__gt=0), name="distribution_deal_line_price"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.sku.code} × {self.estimated_quantity}"


class DocumentKind(models.TextChoices):
    QUOTE_SHEET = "quote_sheet", _("Quote sheet")
    SPECIFICATIONS = "specifications", _("Product specifications")
    COMPANY_PAPERS = "company_papers", _("Company papers")
    QC_REPORT = "qc_report", _("Quality inspection report")


# What a proposal must carry before it is sent.
PROPOSAL_DOCUMENTS = (
    DocumentKind.QUOTE_SHEET,
    DocumentKind.SPECIFICATIONS,
    DocumentKind.COMPANY_PAPERS,
    DocumentKind.QC_REPORT,
)


def _document_path(instance: DealDocument, filename: str) -> str:
    return f"distribution/deals/{instance.deal.number}/{filename}"


class DealDocument(models.Model):
    """A paper sent to the site with the proposal (uploaded and checked, or the quote sheet
    we generate)."""

    deal = models.ForeignKey(
        Deal, on_delete=models.CASCADE, related_name="documents", verbose_name=_("deal")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=DocumentKind.choices)
    title = models.CharField(_("title"), max_length=200)
    file = models.FileField(_("file"), upload_to=_document_path)
    content_type = models.CharField(_("file type"), max_length=50)
    size = models.PositiveIntegerField(_("size (bytes)"))
    uploaded_by = actor_field(_("uploaded by"))
    uploaded_at = models.DateTimeField(_("uploaded"), auto_now_add=True)

    class Meta:
        ordering = ["deal", "kind", "pk"]
        verbose_name = _("deal document")
        verbose_name_plural = _("deal documents")

    def __str__(self) -> str:
        return self.title
