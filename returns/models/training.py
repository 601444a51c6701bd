"""Service staff onboarding (客服岗前培训): the training track of a new service employee.

- An ``Onboarding`` (岗前培训) is one trainee's track: product familiarization (熟悉产品:
  every listed product read and ticked off within ``ONBOARDING_FAMILIARIZATION_DAYS``
  working days) → the product quiz (产品考试, generated from listings data and the reply
  scripts; retaken with new questions until passed) → knowledge sharing sessions
  (知识分享) → cleared to answer customers (已上岗). A manager may withdraw it (中止).
- A ``ProductReading`` (产品熟悉) is one product on the trainee's reading list.
- A ``QuizAttempt`` (考试) is one sitting of the quiz with its ``QuizQuestion`` rows: the
  question asked, its choices, the right one and the trainee's answer.
- A ``SharingSession`` (知识分享会) is a knowledge sharing session held by the service
  team, with the colleagues who attended it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_fsm import ConcurrentTransitionMixin, FSMField, FSMModelMixin, transition

from ecomops.accounts.fields import actor_field
from ecomops.accounts.names import person_name
from listings.models import Product

from .aftersales import ScriptAudience

USER = settings.AUTH_USER_MODEL


class TrainingState(models.TextChoices):
    FAMILIARIZATION = "familiarization", _("Product familiarization")
    QUIZ = "quiz", _("Product quiz")
    SHARING = "sharing", _("Knowledge sharing")
    CLEARED = "cleared", _("Cleared to answer customers")
    WITHDRAWN = "withdrawn", pgettext_lazy("training state", "Withdrawn")


# A trainee in one of these is still in training: not yet cleared to answer customers.
OPEN_TRAINING_STATES = (TrainingState.FAMILIARIZATION, TrainingState.QUIZ, TrainingState.SHARING)
# The audiences a trainee can train for (a script for both audiences serves either).
TRAINEE_AUDIENCES = (ScriptAudience.PRESALES, ScriptAudience.AFTERSALES)


def _all_products_read(onboarding: models.Model) -> bool:
    return (
        isinstance(onboarding, Onboarding)
        and onboarding.pk is not None
        and not onboarding.readings.filter(read_at__isnull=True).exists()
    )


def _quiz_passed(onboarding: models.Model) -> bool:
    return (
        isinstance(onboarding, Onboarding)
        and onboarding.pk is not None
        and onboarding.attempts.filter(passed=True).exists()
    )


def _enough_sessions(onboarding: models.Model) -> bool:
    return (
        isinstance(onboarding, Onboarding)
        and onboarding.pk is not None
        and onboarding.attended_sessions().count() >= settings.ONBOARDING_SHARING_SESSIONS
    )


class Onboarding(ConcurrentTransitionMixin, FSMModelMixin, models.Model):
    """岗前培训: a new service employee's training track, from reading the products to being
    cleared to answer customers."""

    trainee = models.ForeignKey(
        USER, on_delete=models.PROTECT, related_name="onboardings", verbose_name=_("trainee")
    )
    audience = models.CharField(
        _("trains for"),
        max_length=12,
        choices=[
            (value, label)
            for value, label in ScriptAudience.choices
            if value != ScriptAudience.BOTH
        ],
        help_text=_("Pre- or after-sales: which reply scripts the quiz asks about."),
    )
    mentor = models.ForeignKey(
        USER,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="mentored_onboardings",
        verbose_name=_("mentor"),
    )
    started_on = models.DateField(_("started on"))
    familiarization_due = models.DateField(_("products read by"))
    state = FSMField(
        _("stage"),
        default=TrainingState.FAMILIARIZATION,
        choices=TrainingState.choices,
        protected=True,
    )
    readings_finished_at = models.DateTimeField(_("products read"), null=True, blank=True)
    quiz_passed_at = models.DateTimeField(_("quiz passed"), null=True, blank=True)
    cleared_at = models.DateTimeField(_("cleared"), null=True, blank=True)
    cleared_by = actor_field(_("cleared by"))
    withdrawn_at = models.DateTimeField(_("withdrawn"), null=True, blank=True)
    withdrawn_by = actor_field(_("withdrawn by"))
    withdrawn_reason = models.CharField(_("reason for withdrawing"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    created_by = actor_field(_("started by"))

    class Meta:
        ordering = ["-started_on", "-pk"]
        verbose_name = _("service staff training")
        verbose_name_plural = _("service staff trainings")
        permissions = [
            ("run_onboarding", _("Can start, follow and clear service staff training")),
            ("record_sharing_session", _("Can record knowledge sharing sessions")),
        ]
        indexes = [models.Index(fields=["state", "started_on"], name="returns_onboarding_state")]
        constraints = [
            models.UniqueConstraint(
                fields=["trainee"],
                condition=~Q(state__in=["cleared", "withdrawn"]),
                name="returns_one_open_onboarding",
            ),
            models.CheckConstraint(
                condition=~Q(state="withdrawn") | ~Q(withdrawn_reason=""),
                name="returns_onboarding_withdrawn_has_reason",
            ),
        ]

    def __str__(self) -> str:
        name = person_name(self.trainee)
        return f"{name} ({self.started_on:%Y-%m-%d})"

    def get_absolute_url(self) -> str:
        return reverse("returns:training_detail", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_TRAINING_STATES

    def attended_sessions(self) -> QuerySet[SharingSession]:
        """The sharing sessions the trainee attended since the training started."""
        return SharingSession.objects.filter(
            attendees=self.trainee_id, held_on__gte=self.started_on
        )

    @transition(
        field=state,
        source=TrainingState.FAMILIARIZATION,
        target=TrainingState.QUIZ,
        conditions=[_all_products_read],
        custom={"label": _("finish reading the products")},
    )
    def finish_reading(self, *, at: datetime) -> None:
        """Taken by the service when the trainee ticks off the last product."""
        self.readings_finished_at = at

    @transition(
        field=state,
        source=TrainingState.QUIZ,
        target=TrainingState.SHARING,
        conditions=[_quiz_passed],
        custom={"label": _("pass the product quiz")},
    )
    def pass_quiz(self, *, at: datetime) -> None:
        """Taken by the service when a submitted attempt reaches the pass mark."""
        self.quiz_passed_at = at

    @transition(
        field=state,
        source=TrainingState.SHARING,
        target=TrainingState.CLEARED,
        conditions=[_enough_sessions],
        permission="returns.run_onboarding",
        custom={"label": _("clear to answer customers")},
    )
    def clear(self, *, at: datetime, actor: Any) -> None:
        self.cleared_at = at
        self.cleared_by = actor

    @transition(
        field=state,
        source=list(OPEN_TRAINING_STATES),
        target=TrainingState.WITHDRAWN,
        permission="returns.run_onboarding",
        custom={"label": _("withdraw the training")},
    )
    def withdraw(self, *, at: datetime, actor: Any, why: str) -> None:
        self.withdrawn_at = at
        self.withdrawn_by = actor
        self.withdrawn_reason = why


class ProductReading(models.Model):
    """产品熟悉: one listed product on a trainee's reading list, ticked off once read."""

    onboarding = models.ForeignKey(
        Onboarding, on_delete=models.CASCADE, related_name="readings", verbose_name=_("training")
    )
    product = models.ForeignKey(
        Product, on_delete=models.PROTECT, related_name="+", verbose_name=_("product")
    )
    read_at = models.DateTimeField(_("read"), null=True, blank=True)

    class Meta:
        ordering = ["onboarding", "pk"]
        verbose_name = _("product reading")
        verbose_name_plural = _("product readings")
        constraints = [
            models.UniqueConstraint(
                fields=["onboarding", "product"], name="returns_one_reading_per_product"
            )
        ]

    def __str__(self) -> str:
        return str(self.product)

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class QuizAttempt(models.Model):
    """考试: one sitting of the product quiz, with its score once submitted."""

    onboarding = models.ForeignKey(
        Onboarding, on_delete=models.CASCADE, related_name="attempts", verbose_name=_("training")
    )
    number = models.PositiveSmallIntegerField(_("attempt"))
    started_at = models.DateTimeField(_("started"))
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    correct = models.PositiveSmallIntegerField(_("right answers"), default=0)
    total = models.PositiveSmallIntegerField(_("questions"), default=0)
    passed = models.BooleanField(_("passed"), null=True, blank=True)
    # Copied from the setting when the attempt is made, so changing the setting later does
    # not rewrite past results.
    pass_percent = models.PositiveSmallIntegerField(_("pass mark (percent)"))

    class Meta:
        ordering = ["onboarding", "number"]
        verbose_name = _("quiz attempt")
        verbose_name_plural = _("quiz attempts")
        constraints = [
            models.UniqueConstraint(
                fields=["onboarding", "number"], name="returns_attempt_unique_number"
            ),
            models.UniqueConstraint(
                fields=["onboarding"],
                condition=Q(submitted_at__isnull=True),
                name="returns_one_open_attempt",
            ),
            models.CheckConstraint(
                condition=Q(correct__lte=models.F("total")), name="returns_attempt_score"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.onboarding} #{self.number}"

    def get_absolute_url(self) -> str:
        return reverse("returns:training_quiz", args=[self.pk])

    @property
    def is_submitted(self) -> bool:
        return self.submitted_at is not None

    @property
    def percent(self) -> int | None:
        """The score in whole percent (rounded down), once submitted."""
        if not self.is_submitted or not self.total:
            return None
        return self.correct * 100 // self.total


class QuizQuestion(models.Model):
    """One question of a quiz attempt: asked from a fact of the listings or a reply script."""

    attempt = models.ForeignKey(
        QuizAttempt, on_delete=models.CASCADE, related_name="questions", verbose_name=_("attempt")
    )
    position = models.PositiveSmallIntegerField(_("position"))
    key = models.CharField(
        _("fact asked"),
        max_length=60,
        help_text=_("Which fact the question asks, e.g. price:sku:12 or script:7."),
    )
    text = models.TextField(_("question"))
    choices = models.JSONField(_("choices"), default=list)
    correct_choice = models.PositiveSmallIntegerField(_("right choice"))
    answer = models.PositiveSmallIntegerField(_("answer given"), null=True, blank=True)
    is_correct = models.BooleanField(_("answered right"), null=True, blank=True)
    source = models.CharField(_("where the answer comes from"), max_length=300)

    class Meta:
        ordering = ["attempt", "position"]
        verbose_name = _("quiz question")
        verbose_name_plural = _("quiz questions")
        constraints = [
            models.UniqueConstraint(
                fields=["attempt", "position"], name="returns_question_unique_position"
            ),
            models.UniqueConstraint(fields=["attempt", "key"], name="returns_question_unique_key"),
        ]

    def __str__(self) -> str:
        return f"{self.attempt} Q{self.position}"

    @property
    def correct_text(self) -> str:
        return str(self.choices[self.correct_choice])

    @property
    def answer_text(self) -> str:
        if self.answer is None or not 0 <= self.answer < len(self.choices):
            return ""
        return str(self.choices[self.answer])


class SharingSession(models.Model):
    """知识分享会: a knowledge sharing session of the service team and who attended it."""

    held_on = models.DateField(_("held on"))
    topic = models.CharField(_("topic"), max_length=200)
    presenter = models.ForeignKey(
        USER,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("presenter"),
    )
    attendees: models.ManyToManyField[Any, Any] = models.ManyToManyField(
        USER, related_name="sharing_sessions_attended", verbose_name=_("attendees")
    )
    notes = models.TextField(_("notes"), blank=True)
    recorded_at = models.DateTimeField(_("recorded"), auto_now_add=True)
    recorded_by = actor_field(_("recorded by"))

    class Meta:
        ordering = ["-held_on", "-pk"]
        verbose_name = _("knowledge sharing session")
        verbose_name_plural = _("knowledge sharing sessions")
        indexes = [models.Index(fields=["held_on"], name="returns_sharing_held_on")]

    def __str__(self) -> str:
        return f"{self.held_on:%Y-%m-%d} {self.topic}"

    def get_absolute_url(self) -> str:
        return reverse("returns:sharing_sessions") + f"#session-{self.pk}"
