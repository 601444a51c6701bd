"""Shop opening (开店): a new shop on a platform, from the merchant account to the first order.

The steps are data per platform (``OpeningProcess`` with its ``OpeningStep`` and
``OpeningDocumentType`` rows, edited by managers in the admin), so Tmall and Taobao can
differ. A ``ShopOpening`` copies its process's steps into ``OpeningStepRecord`` rows when it
starts, so a later edit of the data does not rewrite its history, and moves through:

- **preparing**: the preparation steps in order (merchant account registered, the
  platform's online opening exam passed);
- **documents**: the company documents are uploaded (``ShopDocument``, with their expiry
  dates), then submitted to the platform;
- **in review**: the platform reviews step by step (Alipay verification, first and second
  review, brand authorization); a working-day SLA clock runs from the submission to the
  platform's promised answer. A rejection at any review returns to **documents** with the
  platform's reason (``ReviewDecision``); the documents are then replaced and resubmitted;
- **setting up**: approved; the set-up checklist (photos, detail pages, decoration, first
  products, shop settings), each item owned by a role;
- **open**: the channel becomes active and accepts orders through intake.

An opening may be abandoned (with a reason) at any point before it is open.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_fsm import ConcurrentTransitionMixin, FSMField, FSMModelMixin, transition

from ecomops.accounts.fields import actor_field
from ecomops.accounts.roles import ROLES, RoleCode

from .sales import ChannelKind

USER = settings.AUTH_USER_MODEL
RUN_SHOP_OPENING = "orders.run_shop_opening"
ROLE_CHOICES = [(code, role.label) for code, role in ROLES.items()]


class StepPhase(models.TextChoices):
    PREPARATION = "preparation", _("Preparation")
    REVIEW = "review", _("Platform review")
    SETUP = "setup", _("Shop set-up")


class OpeningState(models.TextChoices):
    PREPARING = "preparing", pgettext_lazy("shop opening", "Preparing")
    DOCUMENTS = "documents", pgettext_lazy("shop opening", "Documents")
    IN_REVIEW = "in_review", pgettext_lazy("shop opening", "In review")
    SETTING_UP = "setting_up", pgettext_lazy("shop opening", "Setting up")
    OPEN = "open", pgettext_lazy("shop opening", "Open")
    ABANDONED = "abandoned", pgettext_lazy("shop opening", "Abandoned")


# States of an opening still under way (it may be abandoned in any of them).
RUNNING_OPENING_STATES = (
    OpeningState.PREPARING,
    OpeningState.DOCUMENTS,
    OpeningState.IN_REVIEW,
    OpeningState.SETTING_UP,
)


class OpeningProcess(models.Model):
    """开店流程: how a shop opens on one platform: its steps, documents and review time."""

    platform = models.CharField(
        _("platform"), max_length=20, choices=ChannelKind.choices, unique=True
    )
    name = models.CharField(_("name"), max_length=100)
    review_working_days = models.PositiveSmallIntegerField(
        _("review time (working days)"),
        validators=[MinValueValidator(1)],
        help_text=_("How many working days the platform takes to review the documents."),
    )
    active = models.BooleanField(
        _("active"), default=True, help_text=_("Only active processes start new openings.")
    )

    class Meta:
        ordering = ["platform"]
        verbose_name = _("shop opening process")
        verbose_name_plural = _("shop opening processes")

    def __str__(self) -> str:
        return self.name


class OpeningStep(models.Model):
    """开店步骤: one step of a process: a preparation step, a platform review step, or a
    set-up checklist item owned by a role."""

    process = models.ForeignKey(
        OpeningProcess, on_delete=models.CASCADE, related_name="steps", verbose_name=_("process")
    )
    position = models.PositiveSmallIntegerField(_("position"))
    code = models.SlugField(_("code"), max_length=50)
    name = models.CharField(_("name"), max_length=100)
    phase = models.CharField(_("phase"), max_length=20, choices=StepPhase.choices)
    owner_role = models.CharField(
        _("owner role"),
        max_length=50,
        choices=ROLE_CHOICES,
        default=RoleCode.SHOP_MANAGER,
        help_text=_(
            "Who does it. Preparation and review steps belong to the shop manager; a set-up "
            "item may belong to the designer, the shop manager or the listing reviewer."
        ),
    )
    description = models.TextField(
        _("description"), blank=True, help_text=_("Shown on the opening's page as help.")
    )

    class Meta:
        ordering = ["process", "position", "pk"]
        verbose_name = _("shop opening step")
        verbose_name_plural = _("shop opening steps")
        constraints = [
            models.UniqueConstraint(fields=["process", "code"], name="orders_openingstep_code"),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.phase != StepPhase.SETUP and self.owner_role != RoleCode.SHOP_MANAGER:
            raise ValidationError(
                {"owner_role": _("Preparation and review steps belong to the shop manager.")}
            )


class OpeningDocumentType(models.Model):
    """开店资料: a document the platform asks for (business licence, trademark registration
    or brand authorization, ID of the legal representative, bank account licence)."""

    process = models.ForeignKey(
        OpeningProcess,
        on_delete=models.CASCADE,
        related_name="document_types",
        verbose_name=_("process"),
    )
    position = models.PositiveSmallIntegerField(_("position"))
    code = models.SlugField(_("code"), max_length=50)
    name = models.CharField(_("name"), max_length=100)
    has_expiry = models.BooleanField(
        _("has an expiry date"),
        default=True,
        help_text=_("The document runs out (or is marked long-term when it does not)."),
    )
    required = models.BooleanField(_("required"), default=True)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        ordering = ["process", "position", "pk"]
        verbose_name = _("shop document type")
        verbose_name_plural = _("shop document types")
        constraints = [
            models.UniqueConstraint(
                fields=["process", "code"], name="orders_openingdocumenttype_code"
            ),
        ]

    def __str__(self) -> str:
        return self.name


# --- Conditions of the transitions (backstops: the services check first, with messages) ---


def _phase_done(obj: models.Model, phase: str) -> bool:
    records = obj.step_records  # type: ignore[attr-defined]
    return bool(
        records.filter(phase=phase).exists()
        and not records.filter(phase=phase, done_at__isnull=True).exists()
    )


def preparation_done(obj: models.Model) -> bool:
    return _phase_done(obj, StepPhase.PREPARATION)


def review_passed(obj: models.Model) -> bool:
    return _phase_done(obj, StepPhase.REVIEW)


def setup_done(obj: models.Model) -> bool:
    return not obj.step_records.filter(  # type: ignore[attr-defined]
        phase=StepPhase.SETUP, done_at__isnull=True
    ).exists()


def documents_ready(obj: models.Model) -> bool:
    """Every required document type has a current document, and no current document has
    run out (one expiring today counts as run out: the platform would refuse it)."""
    opening: Any = obj
    today = timezone.localdate()
    current = opening.documents.filter(superseded_at__isnull=True)
    if current.filter(expires_on__lte=today).exists():
        return False
    required = opening.process.document_types.filter(required=True)
    return not required.exclude(pk__in=current.values("document_type_id")).exists()


class ShopOpening(ConcurrentTransitionMixin, FSMModelMixin, models.Model):
    """开店申请: one new shop on a platform, from the merchant account to the first order."""

    channel = models.OneToOneField(
        "orders.Channel",
        on_delete=models.PROTECT,
        related_name="opening",
        verbose_name=_("channel"),
    )
    process = models.ForeignKey(
        OpeningProcess, on_delete=models.PROTECT, related_name="openings", verbose_name=_("process")
    )
    number = models.CharField(_("number"), max_length=30, unique=True)
    company_name = models.CharField(
        _("applying company"),
        max_length=200,
        help_text=_("The company that opens the shop, as on its business licence."),
    )
    owner = models.ForeignKey(
        USER, on_delete=models.PROTECT, related_name="+", verbose_name=_("shop manager")
    )
    state = FSMField(
        _("state"), default=OpeningState.PREPARING, choices=OpeningState.choices, protected=True
    )
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    submissions = models.PositiveSmallIntegerField(_("submissions"), default=0)
    review_due_on = models.DateField(
        _("platform answer due"),
        null=True,
        blank=True,
        help_text=_("The last working day of the platform's review of the latest submission."),
    )
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True)
    opened_at = models.DateTimeField(pgettext_lazy("shop", "opened"), null=True, blank=True)
    abandoned_at = models.DateTimeField(_("abandoned"), null=True, blank=True)
    abandoned_reason = models.CharField(_("reason for abandoning"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    created_by = actor_field(_("created by"))

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("shop opening")
        verbose_name_plural = _("shop openings")
        permissions = [("run_shop_opening", _("Can run shop openings"))]
        constraints = [
            models.CheckConstraint(
                condition=~Q(state=OpeningState.ABANDONED) | ~Q(abandoned_reason=""),
                name="orders_shopopening_abandoned_reason",
            ),
        ]
        indexes = [models.Index(fields=["state"], name="orders_shopopening_state")]

    def __str__(self) -> str:
        if self.channel_id is None:
            return self.number
        return f"{self.number} {self.channel.name}"

    def get_absolute_url(self) -> str:
        return reverse("orders:shop_detail", args=[self.pk])

    @property
    def is_running(self) -> bool:
        return self.state in RUNNING_OPENING_STATES

    @transition(
        field=state,
        source=OpeningState.PREPARING,
        target=OpeningState.DOCUMENTS,
        conditions=[preparation_done],
        permission=RUN_SHOP_OPENING,
        custom={"label": _("preparation done")},
    )
    def prepare_done(self) -> None:
        pass

    @transition(
        field=state,
        source=OpeningState.DOCUMENTS,
        target=OpeningState.IN_REVIEW,
        conditions=[documents_ready],
        permission=RUN_SHOP_OPENING,
        custom={"label": _("submit the documents")},
    )
    def submit(self, *, at: datetime, due_on: date) -> None:
        self.submitted_at = at
        self.submissions += 1
        self.review_due_on = due_on

    @transition(
        field=state,
        source=OpeningState.IN_REVIEW,
        target=OpeningState.DOCUMENTS,
        permission=RUN_SHOP_OPENING,
        custom={"label": _("record the platform's rejection")},
    )
    def reject(self) -> None:
        pass

    @transition(
        field=state,
        source=OpeningState.IN_REVIEW,
        target=OpeningState.SETTING_UP,
        conditions=[review_passed],
        permission=RUN_SHOP_OPENING,
        custom={"label": _("approved by the platform")},
    )
    def approve(self, *, at: datetime) -> None:
        self.approved_at = at

    @transition(
        field=state,
        source=OpeningState.SETTING_UP,
        target=OpeningState.OPEN,
        conditions=[setup_done],
        permission=RUN_SHOP_OPENING,
        custom={"label": _("open the shop")},
    )
    def open(self, *, at: datetime) -> None:
        self.opened_at = at

    @transition(
        field=state,
        source=list(RUNNING_OPENING_STATES),
        target=OpeningState.ABANDONED,
        permission=RUN_SHOP_OPENING,
        custom={"label": _("abandon")},
    )
    def abandon(self, *, at: datetime, why: str) -> None:
        self.abandoned_at = at
        self.abandoned_reason = why


class OpeningStepRecord(models.Model):
    """One step of one opening: copied from the process when the opening starts, marked
    done with who and when (review steps are cleared for each new submission)."""

    opening = models.ForeignKey(
        ShopOpening,
        on_delete=models.CASCADE,
        related_name="step_records",
        verbose_name=_("shop opening"),
    )
    step = models.ForeignKey(
        OpeningStep, on_delete=models.PROTECT, related_name="+", verbose_name=_("step")
    )
    position = models.PositiveSmallIntegerField(_("position"))
    code = models.SlugField(_("code"), max_length=50)
    name = models.CharField(_("name"), max_length=100)
    phase = models.CharField(_("phase"), max_length=20, choices=StepPhase.choices)
    owner_role = models.CharField(_("owner role"), max_length=50, choices=ROLE_CHOICES)
    done_at = models.DateTimeField(_("done"), null=True, blank=True)
    done_by = actor_field(_("done by"))
    note = models.CharField(_("note"), max_length=500, blank=True)

    class Meta:
        ordering = ["opening", "position", "pk"]
        verbose_name = _("shop opening step record")
        verbose_name_plural = _("shop opening step records")
        constraints = [
            models.UniqueConstraint(fields=["opening", "step"], name="orders_steprecord_unique"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_done(self) -> bool:
        return self.done_at is not None


class ReviewDecision(models.Model):
    """审核记录: the platform's answer at one review step of one submission round."""

    opening = models.ForeignKey(
        ShopOpening,
        on_delete=models.CASCADE,
        related_name="decisions",
        verbose_name=_("shop opening"),
    )
    step = models.ForeignKey(
        OpeningStep, on_delete=models.PROTECT, related_name="+", verbose_name=_("review step")
    )
    step_name = models.CharField(_("review step"), max_length=100)
    round = models.PositiveSmallIntegerField(_("submission"))
    passed = models.BooleanField(_("passed"))
    reason = models.TextField(
        _("platform's words"), blank=True, help_text=_("Required when the platform rejects.")
    )
    decided_at = models.DateTimeField(_("decided"), default=timezone.now)
    decided_by = actor_field(_("recorded by"))

    class Meta:
        ordering = ["opening", "decided_at", "pk"]
        verbose_name = _("review decision")
        verbose_name_plural = _("review decisions")
        constraints = [
            models.CheckConstraint(
                condition=Q(passed=True) | ~Q(reason=""), name="orders_reviewdecision_reason"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.opening.number} #{self.round} {self.step_name}"


class ShopDocument(models.Model):
    """开店资料文件: one uploaded document of an opening. A new upload of the same type
    supersedes the current one, which is kept for the record."""

    opening = models.ForeignKey(
        ShopOpening,
        on_delete=models.CASCADE,
        related_name="documents",
        verbose_name=_("shop opening"),
    )
    document_type = models.ForeignKey(
        OpeningDocumentType,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("document"),
    )
    file = models.FileField(_("file"), upload_to="shops/%Y/%m/")
    name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("file type"), max_length=100)
    size = models.PositiveIntegerField(_("size (bytes)"))
    licence_number = models.CharField(_("licence number"), max_length=100, blank=True)
    expires_on = models.DateField(_("expires on"), null=True, blank=True)
    long_term = models.BooleanField(_("long-term"), default=False)
    uploaded_at = models.DateTimeField(_("uploaded"), default=timezone.now)
    uploaded_by = actor_field(_("uploaded by"))
    superseded_at = models.DateTimeField(_("superseded"), null=True, blank=True)
    expiry_notified_at = models.DateTimeField(_("expiry announced"), null=True, blank=True)

    class Meta:
        ordering = ["opening", "-uploaded_at", "-pk"]
        verbose_name = _("shop document")
        verbose_name_plural = _("shop documents")
        constraints = [
            models.UniqueConstraint(
                fields=["opening", "document_type"],
                condition=Q(superseded_at__isnull=True),
                name="orders_shopdocument_one_current",
            ),
            models.CheckConstraint(
                condition=Q(long_term=False) | Q(expires_on__isnull=True),
                name="orders_shopdocument_long_term_no_expiry",
            ),
        ]
        indexes = [
            # The daily expiry reminder: current documents not announced yet, by expiry.
            models.Index(
                fields=["expires_on"],
                condition=Q(superseded_at__isnull=True, expiry_notified_at__isnull=True),
                name="orders_shopdocument_expiry",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.document_type.name} {self.name}"

    def get_absolute_url(self) -> str:
        return reverse("orders:shop_document", args=[self.pk])

    @property
    def is_current(self) -> bool:
        return self.superseded_at is None
