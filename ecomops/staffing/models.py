"""Staffing requests (招聘需求 → 人才输送): a department asks HR for people.

- A ``StaffingRequest`` (招聘需求) is raised by a department's head (or a manager): the
  position wanted, how many, why and by when. HR (or a manager) approves it; the first
  candidate HR supplies puts it in progress; it is filled when the hires reach the
  headcount, or cancelled with a reason.
- A ``Candidate`` (候选人) is a person HR supplied to the department (人才输送) and what came
  of it: interviewing, hired (with a start date), rejected or withdrawn.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_fsm import ConcurrentTransitionMixin, FSMField, FSMModelMixin, transition

from ecomops.accounts.fields import actor_field
from ecomops.accounts.roles import Department, role_label
from ecomops.validators import validate_mobile

# A request asks for at most this many people at once.
MAX_HEADCOUNT = 999


class StaffingState(models.TextChoices):
    REQUESTED = "requested", pgettext_lazy("staffing state", "Requested")
    APPROVED = "approved", pgettext_lazy("staffing state", "Approved")
    IN_PROGRESS = "in_progress", pgettext_lazy("staffing state", "In progress")
    FILLED = "filled", pgettext_lazy("staffing state", "Filled")
    CANCELLED = "cancelled", pgettext_lazy("staffing state", "Cancelled")


# HR still has work on these.
OPEN_STATES = (StaffingState.REQUESTED, StaffingState.APPROVED, StaffingState.IN_PROGRESS)
# Candidates are supplied to these.
SUPPLY_STATES = (StaffingState.APPROVED, StaffingState.IN_PROGRESS)


def _all_hired(request: models.Model) -> bool:
    return isinstance(request, StaffingRequest) and request.still_needed == 0


class StaffingRequest(ConcurrentTransitionMixin, FSMModelMixin, models.Model):
    """招聘需求: a department asks HR for ``headcount`` people for a position."""

    number = models.CharField(_("number"), max_length=30, unique=True)
    department = models.CharField(_("department"), max_length=20, choices=Department.choices)
    position = models.CharField(
        pgettext_lazy("job", "position"),
        max_length=100,
        help_text=_("The job wanted, as the department calls it."),
    )
    role = models.CharField(
        _("role of the hires"),
        max_length=40,
        blank=True,
        help_text=_("The portal role the people hired will hold, if any."),
    )
    headcount = models.PositiveSmallIntegerField(
        _("headcount"), validators=[MinValueValidator(1), MaxValueValidator(MAX_HEADCOUNT)]
    )
    reason = models.TextField(_("reason"))
    wanted_by = models.DateField(_("wanted by"))
    state = FSMField(
        _("state"), default=StaffingState.REQUESTED, choices=StaffingState.choices, protected=True
    )
    requested_by = actor_field(_("requested by"))
    requested_at = models.DateTimeField(_("requested"), default=timezone.now)
    approved_by = actor_field(_("approved by"))
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True)
    approval_note = models.TextField(_("approval note"), blank=True)
    started_at = models.DateTimeField(_("first candidate supplied"), null=True, blank=True)
    filled_at = models.DateTimeField(_("filled"), null=True, blank=True)
    cancelled_by = actor_field(_("cancelled by"))
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)
    cancel_reason = models.TextField(_("cancellation reason"), blank=True)

    class Meta:
        ordering = ["-requested_at", "-pk"]
        verbose_name = _("staffing request")
        verbose_name_plural = _("staffing requests")
        indexes = [
            models.Index(fields=["state", "wanted_by"]),
            models.Index(fields=["department", "state"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(headcount__gte=1), name="staffing_request_headcount"
            ),
            models.CheckConstraint(
                condition=~Q(state="cancelled") | ~Q(cancel_reason=""),
                name="staffing_request_cancel_reason",
            ),
        ]
        permissions = [
            ("request_staff", _("Can ask HR for staff for any department")),
            ("approve_staffingrequest", _("Can approve staffing requests")),
            ("supply_candidates", _("Can supply candidates and record their outcomes")),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.position}"

    def get_absolute_url(self) -> str:
        return reverse("staffing:detail", args=[self.pk])

    @property
    def hired_count(self) -> int:
        """Candidates hired (an annotation from the selectors when there is one)."""
        annotated = getattr(self, "hired_total", None)
        if annotated is not None:
            return int(annotated)
        if self.pk is None:
            return 0
        return self.candidates.filter(outcome=CandidateOutcome.HIRED).count()

    @property
    def role_display(self) -> str:
        return role_label(self.role) if self.role else ""

    @property
    def still_needed(self) -> int:
        return max(self.headcount - self.hired_count, 0)

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    def is_late_on(self, today: date) -> bool:
        return self.is_open and self.wanted_by < today

    @property
    def is_late(self) -> bool:
        """The wanted-by date has passed and the request is still open."""
        return self.is_late_on(timezone.localdate())

    @transition(
        field=state,
        source=StaffingState.REQUESTED,
        target=StaffingState.APPROVED,
        permission="staffing.approve_staffingrequest",
        custom={"label": _("approve")},
    )
    def approve(self, *, approver: Any, at: datetime, note: str) -> None:
        self.approved_by = approver
        self.approved_at = at
        self.approval_note = note

    @transition(
        field=state,
        source=StaffingState.APPROVED,
        target=StaffingState.IN_PROGRESS,
        permission="staffing.supply_candidates",
        custom={"label": _("start supplying candidates")},
    )
    def start(self, *, at: datetime) -> None:
        self.started_at = at

    @transition(
        field=state,
        source=StaffingState.IN_PROGRESS,
        target=StaffingState.FILLED,
        conditions=[_all_hired],
        custom={"label": _("mark as filled")},
    )
    def fill(self, *, at: datetime) -> None:
        """Taken by the service when the last hire is recorded."""
        self.filled_at = at

    @transition(
        field=state,
        source=list(OPEN_STATES),
        target=StaffingState.CANCELLED,
        custom={"label": _("cancel")},
    )
    def cancel(self, *, canceller: Any, at: datetime, why: str) -> None:
        """Who may cancel (the requesting side, HR, a manager) is the service's rule."""
        self.cancelled_by = canceller
        self.cancelled_at = at
        self.cancel_reason = why


class CandidateSource(models.TextChoices):
    JOB_SITE = "job_site", _("Job site")
    REFERRAL = "referral", _("Employee referral")
    AGENCY = "agency", _("Recruitment agency")
    CAMPUS = "campus", _("Campus recruiting")
    INTERNAL = "internal", _("Internal transfer")
    WALK_IN = "walk_in", _("Walk-in application")
    OTHER = "other", pgettext_lazy("candidate source", "Other")


class CandidateOutcome(models.TextChoices):
    SUPPLIED = "supplied", _("Supplied to the department")
    INTERVIEWING = "interviewing", _("Interviewing")
    HIRED = "hired", _("Hired")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")


# A candidate with one of these outcomes is no longer considered.
CLOSED_OUTCOMES = (CandidateOutcome.REJECTED, CandidateOutcome.WITHDRAWN)


class Candidate(models.Model):
    """候选人: a person HR supplied for a staffing request, and what came of it."""

    request = models.ForeignKey(
        StaffingRequest,
        on_delete=models.CASCADE,
        related_name="candidates",
        verbose_name=_("staffing request"),
    )
    name = models.CharField(_("name"), max_length=100)
    phone = models.CharField(_("mobile"), max_length=20, validators=[validate_mobile])
    source = models.CharField(_("source"), max_length=20, choices=CandidateSource.choices)
    supplied_at = models.DateField(_("supplied on"), default=timezone.localdate)
    outcome = models.CharField(
        _("outcome"),
        max_length=20,
        choices=CandidateOutcome.choices,
        default=CandidateOutcome.SUPPLIED,
    )
    outcome_note = models.TextField(_("outcome note"), blank=True)
    start_date = models.DateField(_("start date"), null=True, blank=True)
    recorded_by = actor_field(_("supplied by"))
    outcome_by = actor_field(_("outcome recorded by"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["request", "supplied_at", "pk"]
        verbose_name = _("candidate")
        verbose_name_plural = _("candidates")
        constraints = [
            models.UniqueConstraint(
                fields=["request", "phone"], name="staffing_candidate_once_per_request"
            ),
            models.CheckConstraint(
                condition=~Q(outcome="hired") | Q(start_date__isnull=False),
                name="staffing_candidate_hire_start_date",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_closed(self) -> bool:
        return self.outcome in CLOSED_OUTCOMES
