"""Catalog and listing applications (DESIGN §5, Listing).

The business unit applies to put a product online; the platform reviews, the applicant
fills the base information sheet and uploads photos, the designer builds the detail page,
the platform prices it, and the SKU is listed (orderable) or delisted.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_fsm import ConcurrentTransitionMixin, FSMField, FSMModelMixin, transition

from ecomops.money import MoneyField
from ecomops.validators import (
    validate_ean13,
    validate_positive_money,
    validate_tax_classification_code,
)

DEFAULT_TAX_RATE = Decimal("0.13")


class Brand(models.Model):
    """品牌."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    name_en = models.CharField(_("English name"), max_length=100, blank=True)
    owner = models.CharField(_("trademark owner"), max_length=200, blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("brand")
        verbose_name_plural = _("brands")

    def __str__(self) -> str:
        return self.name


class Category(models.Model):
    """商品类目: a two-level tree is enough for the shop's navigation."""

    name = models.CharField(_("name"), max_length=100)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent category"),
    )

    class Meta:
        ordering = ["parent__name", "name"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        constraints = [
            models.UniqueConstraint(fields=["parent", "name"], name="listings_category_unique_name")
        ]

    def __str__(self) -> str:
        return f"{self.parent} / {self.name}" if self.parent_id else self.name


class Product(models.Model):
    """商品 (SPU): what the customer sees as one product, sold as one or more SKUs."""

    name = models.CharField(_("name"), max_length=200)
    brand = models.ForeignKey(
        Brand, on_delete=models.PROTECT, related_name="products", verbose_name=_("brand")
    )
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, related_name="products", verbose_name=_("category")
    )
    description = models.TextField(pgettext_lazy("product", "description"), blank=True)
    origin = models.CharField(_("place of origin"), max_length=100, blank=True)
    shelf_life = models.CharField(_("shelf life"), max_length=50, blank=True)
    material = models.CharField(_("ingredients / material"), max_length=500, blank=True)
    storage = models.CharField(_("storage"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["brand__name", "name"]
        verbose_name = _("product")
        verbose_name_plural = _("products")

    def __str__(self) -> str:
        return f"{self.brand} {self.name}"


class SkuState(models.TextChoices):
    NEW = "new", _("Not yet listed")
    LISTED = "listed", _("Listed")
    DELISTED = "delisted", _("Delisted")


class Sku(ConcurrentTransitionMixin, FSMModelMixin, models.Model):
    """库存单位 (SKU): one sellable item with its own code and barcode.

    Only a listed SKU can be ordered; its online price is ``selectors.sku_online_price``.
    """

    product = models.ForeignKey(
        Product, on_delete=models.PROTECT, related_name="skus", verbose_name=_("product")
    )
    code = models.CharField(_("SKU code"), max_length=40, unique=True)
    barcode = models.CharField(
        _("barcode (EAN-13)"), max_length=13, unique=True, validators=[validate_ean13]
    )
    name = models.CharField(_("name"), max_length=200)
    specification = models.CharField(_("specification"), max_length=200, blank=True)
    unit = models.CharField(_("unit"), max_length=20, default="件")
    weight_grams = models.PositiveIntegerField(_("weight (g)"), default=0)
    length_mm = models.PositiveIntegerField(_("length (mm)"), default=0)
    width_mm = models.PositiveIntegerField(_("width (mm)"), default=0)
    height_mm = models.PositiveIntegerField(_("height (mm)"), default=0)
    tax_rate = models.DecimalField(
        _("VAT rate"),
        max_digits=4,
        decimal_places=2,
        default=DEFAULT_TAX_RATE,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("0.17"))],
        help_text=_("0.13 for 13%."),
    )
    tax_category = models.CharField(
        _("tax category"),
        max_length=40,
        blank=True,
        help_text=_(
            "The short name of the goods' tax classification, e.g. 日用杂品 or 化妆品: "
            "invoices print it before the name (*日用杂品*枕头)."
        ),
    )
    state = FSMField(_("state"), default=SkuState.NEW, choices=SkuState.choices, protected=True)
    tax_code = models.CharField(
        _("tax classification code"),
        max_length=19,
        blank=True,
        validators=[validate_tax_classification_code],
        help_text=_(
            "商品和服务税收分类编码: the goods' 19-digit code in the tax bureau's "
            "classification table. Invoices for the SKU wait until it is set."
        ),
    )
    listed_at = models.DateTimeField(_("listed"), null=True, blank=True)
    delisted_at = models.DateTimeField(_("delisted"), null=True, blank=True)
    delist_reason = models.CharField(_("delisting reason"), max_length=300, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("SKU")
        verbose_name_plural = _("SKUs")
        permissions = [("list_sku", _("Can list and delist SKUs"))]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def get_absolute_url(self) -> str:
        return reverse("listings:sku_detail", args=[self.pk])

    @property
    def tax_rate_percent(self) -> str:
        return f"{self.tax_rate * 100:.0f}%"

    @property
    def invoice_name(self) -> str:
        """The goods' name on an invoice: its tax category first, ``*日用杂品*枕头``."""
        return f"*{self.tax_category}*{self.name}" if self.tax_category else self.name

    @transition(
        field=state,
        source=[SkuState.NEW, SkuState.DELISTED],
        target=SkuState.LISTED,
        permission="listings.list_sku",
        custom={"label": _("list")},
    )
    def list_online(self, *, at: datetime) -> None:
        self.listed_at = at
        self.delist_reason = ""

    @transition(
        field=state,
        source=SkuState.LISTED,
        target=SkuState.DELISTED,
        permission="listings.list_sku",
        custom={"label": _("delist")},
    )
    def delist(self, *, at: datetime, delist_reason: str) -> None:
        self.delisted_at = at
        self.delist_reason = delist_reason


def sku_image_path(instance: SkuImage, filename: str) -> str:
    return f"listings/sku/{instance.sku_id}/{filename}"


class SkuImage(models.Model):
    class Kind(models.TextChoices):
        MAIN = "main", _("Main picture")
        DETAIL = "detail", _("Detail picture")
        PACKAGING = "packaging", _("Packaging")

    sku = models.ForeignKey(
        Sku, on_delete=models.CASCADE, related_name="images", verbose_name=_("SKU")
    )
    image = models.ImageField(
        _("image"), upload_to=sku_image_path, width_field="width", height_field="height"
    )
    width = models.PositiveIntegerField(_("width"), default=0)
    height = models.PositiveIntegerField(_("height"), default=0)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.DETAIL)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    caption = models.CharField(_("caption"), max_length=200, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    uploaded_at = models.DateTimeField(_("uploaded"), auto_now_add=True)

    class Meta:
        ordering = ["sku", "kind", "position", "pk"]
        verbose_name = _("SKU image")
        verbose_name_plural = _("SKU images")

    def __str__(self) -> str:
        return f"{self.sku.code} {self.get_kind_display()} {self.position}"


class PriceKind(models.TextChoices):
    ONLINE = "online", _("Online price")
    PROMOTION = "promotion", _("Promotional price")


class SkuPrice(models.Model):
    """价格记录: every price change with who, when and why; never edited, only added.

    The current online price is the latest ``online`` row in effect; a ``promotion`` row
    overrides it inside its window (campaigns hand their prices down this way). The one
    exception to "only added": a campaign ended early shortens its promotion rows to the
    moment it ended and withdraws those that had not started (``sku_promotion_prices_end``).
    """

    sku = models.ForeignKey(
        Sku, on_delete=models.PROTECT, related_name="prices", verbose_name=_("SKU")
    )
    kind = models.CharField(
        _("kind"), max_length=10, choices=PriceKind.choices, default=PriceKind.ONLINE
    )
    price = MoneyField(_("price"), validators=[validate_positive_money])
    valid_from = models.DateTimeField(_("valid from"))
    valid_until = models.DateTimeField(_("valid until"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=300)
    below_subsidy_reason = models.CharField(
        _("reason for pricing below the base subsidy price"), max_length=300, blank=True
    )
    source = models.CharField(
        _("source"), max_length=100, blank=True, help_text=_("e.g. the campaign")
    )
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("changed by"),
    )
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        ordering = ["sku", "-valid_from", "-pk"]
        verbose_name = _("price change")
        verbose_name_plural = _("price history")
        indexes = [models.Index(fields=["sku", "kind", "valid_from"], name="listings_price_lookup")]
        constraints = [
            models.CheckConstraint(condition=Q(price__gt=0), name="listings_price_positive"),
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gt=models.F("valid_from")),
                name="listings_price_window",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.sku.code} {self.price} ({self.get_kind_display()})"


class ApplicationState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted for review")
    REJECTED = "rejected", _("Rejected")
    APPROVED = "approved", _("Approved: base information needed")
    INFO_COMPLETE = "info_complete", _("Waiting for the detail page")
    DESIGNED = "designed", _("Waiting for pricing")
    PRICED = "priced", _("Priced: ready to list")
    LISTED = "listed", _("Listed")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class ListingApplication(ConcurrentTransitionMixin, FSMModelMixin, models.Model):
    """上架申请: the business unit's request to sell a product in the online shop."""

    number = models.CharField(_("number"), max_length=20, unique=True)
    state = FSMField(
        _("state"), default=ApplicationState.DRAFT, choices=ApplicationState.choices, protected=True
    )
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="listing_applications",
        verbose_name=_("applicant"),
    )
    # Product facts
    brand = models.ForeignKey(
        Brand, on_delete=models.PROTECT, related_name="applications", verbose_name=_("brand")
    )
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, related_name="applications", verbose_name=_("category")
    )
    product_name = models.CharField(_("product name"), max_length=200)
    specification = models.CharField(_("specification"), max_length=200)
    description = models.TextField(
        _("product facts"), help_text=_("What it is, what it is made of, who it is for.")
    )
    fit_reason = models.TextField(_("why it fits the online shop"))
    # Reference prices
    offline_market_price = MoneyField(
        _("offline market price"), validators=[validate_positive_money]
    )
    online_guide_price = MoneyField(_("online guide price"), validators=[validate_positive_money])
    base_subsidy_price = MoneyField(
        _("online base subsidy price"), validators=[validate_positive_money]
    )
    offline_monthly_sales = models.PositiveIntegerField(_("offline monthly sales (units)"))
    # Progress
    round = models.PositiveSmallIntegerField(_("review round"), default=0)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reviewer"),
    )
    reviewed_at = models.DateTimeField(_("reviewed"), null=True, blank=True)
    rejection_reason = models.TextField(_("rejection reason"), blank=True)
    product = models.ForeignKey(
        Product,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="applications",
        verbose_name=_("product"),
    )
    sku = models.OneToOneField(
        Sku,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="application",
        verbose_name=_("SKU"),
    )
    # Detail page (designer)
    designer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("designer"),
    )
    detail_headline = models.CharField(_("detail page headline"), max_length=100, blank=True)
    detail_selling_points = models.TextField(_("selling points, one per line"), blank=True)
    detail_body = models.TextField(_("detail page text"), blank=True)
    designed_at = models.DateTimeField(_("detail page finished"), null=True, blank=True)
    # Pricing
    monthly_sales_target = models.PositiveIntegerField(
        _("monthly sales target (units)"), null=True, blank=True
    )
    promotion_plan = models.TextField(_("promotion plan"), blank=True)
    priced_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("priced by"),
    )
    priced_at = models.DateTimeField(_("priced"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("listing application")
        verbose_name_plural = _("listing applications")
        permissions = [
            ("submit_listingapplication", _("Can submit listing applications")),
            ("review_listingapplication", _("Can approve or reject listing applications")),
            ("design_listingapplication", _("Can build detail pages")),
            ("price_listingapplication", _("Can price listed products")),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(offline_market_price__gt=0)
                & Q(online_guide_price__gt=0)
                & Q(base_subsidy_price__gt=0),
                name="listings_application_prices_positive",
            )
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.product_name}"

    def get_absolute_url(self) -> str:
        return reverse("listings:application_detail", args=[self.pk])

    # --- state machine -------------------------------------------------------------------
    # Conditions are pure; the services check who may act (permission) and add records.

    @transition(
        field=state,
        source=[ApplicationState.DRAFT, ApplicationState.REJECTED],
        target=ApplicationState.SUBMITTED,
        permission="listings.submit_listingapplication",
        custom={"label": _("submit")},
    )
    def submit(self, *, at: datetime) -> None:
        self.round += 1
        self.submitted_at = at
        self.rejection_reason = ""
        self.reviewer = None
        self.reviewed_at = None

    @transition(
        field=state,
        source=ApplicationState.SUBMITTED,
        target=ApplicationState.APPROVED,
        permission="listings.review_listingapplication",
        custom={"label": _("approve")},
    )
    def approve(self, *, reviewer: object, at: datetime) -> None:
        self.reviewer = reviewer  # type: ignore[assignment]
        self.reviewed_at = at

    @transition(
        field=state,
        source=ApplicationState.SUBMITTED,
        target=ApplicationState.REJECTED,
        permission="listings.review_listingapplication",
        custom={"label": _("reject")},
    )
    def reject(self, *, reviewer: object, at: datetime, rejection_reason: str) -> None:
        self.reviewer = reviewer  # type: ignore[assignment]
        self.reviewed_at = at
        self.rejection_reason = rejection_reason

    @transition(
        field=state,
        source=ApplicationState.APPROVED,
        target=ApplicationState.INFO_COMPLETE,
        permission="listings.submit_listingapplication",
        custom={"label": _("complete base information")},
    )
    def complete_info(self) -> None:
        pass

    @transition(
        field=state,
        source=ApplicationState.INFO_COMPLETE,
        target=ApplicationState.DESIGNED,
        permission="listings.design_listingapplication",
        custom={"label": _("finish detail page")},
    )
    def finish_design(self, *, designer: object, at: datetime) -> None:
        self.designer = designer  # type: ignore[assignment]
        self.designed_at = at

    @transition(
        field=state,
        source=ApplicationState.DESIGNED,
        target=ApplicationState.PRICED,
        permission="listings.price_listingapplication",
        custom={"label": _("set price")},
    )
    def price(
        self, *, priced_by: object, at: datetime, monthly_sales_target: int, promotion_plan: str
    ) -> None:
        self.priced_by = priced_by  # type: ignore[assignment]
        self.priced_at = at
        self.monthly_sales_target = monthly_sales_target
        self.promotion_plan = promotion_plan

    @transition(
        field=state,
        source=ApplicationState.PRICED,
        target=ApplicationState.LISTED,
        permission="listings.list_sku",
        custom={"label": _("list")},
    )
    def publish(self) -> None:
        pass

    @transition(
        field=state,
        source=[ApplicationState.DRAFT, ApplicationState.REJECTED],
        target=ApplicationState.WITHDRAWN,
        permission="listings.submit_listingapplication",
        custom={"label": _("withdraw")},
    )
    def withdraw(self) -> None:
        pass


class ReviewRound(models.Model):
    """审核轮次: one submission and its decision; every round is kept."""

    class Decision(models.TextChoices):
        PENDING = "pending", _("Pending")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    application = models.ForeignKey(
        ListingApplication,
        on_delete=models.CASCADE,
        related_name="rounds",
        verbose_name=_("application"),
    )
    number = models.PositiveSmallIntegerField(_("round"))
    submitted_at = models.DateTimeField(_("submitted"))
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("submitted by"),
    )
    snapshot = models.JSONField(_("application as submitted"))
    decision = models.CharField(
        _("decision"), max_length=10, choices=Decision.choices, default=Decision.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    reason = models.TextField(_("reason"), blank=True)

    class Meta:
        ordering = ["application", "number"]
        verbose_name = _("review round")
        verbose_name_plural = _("review rounds")
        constraints = [
            models.UniqueConstraint(fields=["application", "number"], name="listings_round_unique")
        ]

    def __str__(self) -> str:
        return f"{self.application.number} #{self.number}"
