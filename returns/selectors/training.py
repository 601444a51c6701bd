"""Reads of service staff onboarding (客服岗前培训): the managers' progress board, a
trainee's track with the product facts to read, quiz attempts, sharing sessions, and the
facts of the listings and the reply scripts the quiz is made from.

Board rows carry these annotations (one query for any number of trainees):

- ``readings_total`` / ``readings_done``: products on the reading list / ticked off;
- ``attempts_done``: quiz attempts submitted; ``best_percent``: the best score in whole
  percent (None before a first submission); ``last_passed``: the last submitted attempt
  passed (None before one);
- ``sessions_count``: sharing sessions attended since the training started;

and, computed from them: ``days_in_training`` (working days, the start day counting as
day 1, up to today or the day the training ended), ``behind`` (still reading after the
familiarization due date) and ``ready_to_clear``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import (
    Count,
    ExpressionWrapper,
    F,
    IntegerField,
    Max,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from ecomops.accounts.roles import RoleCode
from ecomops.calendar import working_day_on_or_after, working_days_between
from listings.models import Sku, SkuState
from listings.selectors import with_current_price

from ..models import (
    OPEN_TRAINING_STATES,
    Onboarding,
    ProductReading,
    QuizAttempt,
    QuizQuestion,
    ReplyScript,
    ScriptAudience,
    SharingSession,
    TrainingState,
)

SERVICE_ROLES = (RoleCode.PRESALES_SERVICE, RoleCode.AFTERSALES_SERVICE)
# A cleared trainee stays on the board this many days.
RECENTLY_CLEARED_DAYS = 30
# The board's order of stages.
STAGE_ORDER = {state: index for index, state in enumerate(TrainingState.values)}


# --- Facts the quiz is made from ----------------------------------------------------------


@dataclass(frozen=True)
class SkuFacts:
    """What the quiz may ask about one listed SKU and its product."""

    sku_id: int
    code: str
    name: str
    specification: str
    price: Decimal | None
    product_id: int
    product_name: str
    category_id: int
    brand: str
    origin: str
    shelf_life: str
    storage: str


@dataclass(frozen=True)
class ScriptFacts:
    """What the quiz may ask about one reply script."""

    script_id: int
    category: str
    audience: str
    question: str
    answer: str


def listed_product_ids() -> list[int]:
    """Products with at least one listed SKU now: the trainee's reading list."""
    return list(
        Sku.objects.filter(state=SkuState.LISTED)
        .order_by("product_id")
        .values_list("product_id", flat=True)
        .distinct()
    )


def quiz_sku_facts(at: datetime | None = None) -> list[SkuFacts]:
    """Every listed SKU with its online price in effect at ``at`` (promotion first) and its
    product's facts."""
    skus = (
        with_current_price(Sku.objects.filter(state=SkuState.LISTED), at)
        .select_related("product__brand")
        .order_by("pk")
    )
    return [
        SkuFacts(
            sku_id=sku.pk,
            code=sku.code,
            name=sku.name,
            specification=sku.specification.strip(),
            price=getattr(sku, "current_price", None),
            product_id=sku.product_id,
            product_name=sku.product.name,
            category_id=sku.product.category_id,
            brand=sku.product.brand.name,
            origin=sku.product.origin.strip(),
            shelf_life=sku.product.shelf_life.strip(),
            storage=sku.product.storage.strip(),
        )
        for sku in skus
    ]


def quiz_script_facts() -> list[ScriptFacts]:
    """Every reply script in use, for any audience (the service picks the trainee's)."""
    return [
        ScriptFacts(
            script_id=row["pk"],
            category=row["category"],
            audience=row["audience"],
            question=row["question"],
            answer=row["answer"],
        )
        for row in ReplyScript.objects.filter(active=True)
        .order_by("pk")
        .values("pk", "category", "audience", "question", "answer")
    ]


def asked_keys(onboarding_id: int) -> dict[str, int]:
    """Each fact asked in the training's attempts so far, with the number of the last
    attempt that asked it."""
    rows = (
        QuizQuestion.objects.filter(attempt__onboarding_id=onboarding_id)
        .values("key")
        .annotate(last=Max("attempt__number"))
        .order_by()
    )
    return {row["key"]: row["last"] for row in rows}


def open_attempt(onboarding_id: int) -> QuizAttempt | None:
    return QuizAttempt.objects.filter(
        onboarding_id=onboarding_id, submitted_at__isnull=True
    ).first()


def last_attempt_number(onboarding_id: int) -> int:
    last = QuizAttempt.objects.filter(onboarding_id=onboarding_id).aggregate(n=Max("number"))
    return int(last["n"] or 0)


# --- People ---------------------------------------------------------------------------------


def _people(qs: QuerySet[Any]) -> QuerySet[Any]:
    return qs.filter(is_active=True).distinct().order_by("last_name", "first_name", "username")


def service_staff() -> QuerySet[Any]:
    """Active pre- and after-sales service staff."""
    return _people(get_user_model().objects.filter(groups__name__in=SERVICE_ROLES))


def trainee_candidates() -> QuerySet[Any]:
    """Service staff who may start a training: those not in one already."""
    return service_staff().exclude(onboardings__state__in=OPEN_TRAINING_STATES)


def mentor_candidates() -> QuerySet[Any]:
    """Colleagues who may mentor a trainee: service staff and managers."""
    return _people(
        get_user_model().objects.filter(groups__name__in=[*SERVICE_ROLES, RoleCode.MANAGER])
    )


def session_staff() -> QuerySet[Any]:
    """Who may present or attend a knowledge sharing session: service staff and managers."""
    return mentor_candidates()


def is_service_staff(user: Any) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    return user.groups.filter(name__in=SERVICE_ROLES).exists()


# --- Tracks ---------------------------------------------------------------------------------


def _count(qs: QuerySet[Any], group: str) -> Coalesce:
    """The number of rows of ``qs`` (filtered on an outer reference), as a subquery."""
    return Coalesce(
        Subquery(
            qs.order_by().values(group).annotate(n=Count("pk")).values("n")[:1],
            output_field=IntegerField(),
        ),
        0,
    )


def with_progress(qs: QuerySet[Onboarding]) -> QuerySet[Onboarding]:
    """Annotate the progress of each training (see the module's docstring)."""
    readings = ProductReading.objects.filter(onboarding=OuterRef("pk"))
    submitted = QuizAttempt.objects.filter(onboarding=OuterRef("pk"), submitted_at__isnull=False)
    attended = SharingSession.attendees.through.objects.filter(
        user_id=OuterRef("trainee_id"), sharingsession__held_on__gte=OuterRef("started_on")
    )
    best = (
        submitted.filter(total__gt=0)
        .annotate(
            score=ExpressionWrapper(F("correct") * 100 / F("total"), output_field=IntegerField())
        )
        .order_by("-score")
        .values("score")[:1]
    )
    last = submitted.order_by("-number").values("passed")[:1]
    return qs.annotate(
        readings_total=_count(readings, "onboarding"),
        readings_done=_count(readings.filter(read_at__isnull=False), "onboarding"),
        attempts_done=_count(submitted, "onboarding"),
        best_percent=Subquery(best, output_field=IntegerField()),
        last_passed=Subquery(last),
        sessions_count=_count(attended, "user_id"),
    )


def _training_end(onboarding: Onboarding) -> date | None:
    ended = onboarding.cleared_at or onboarding.withdrawn_at
    return timezone.localtime(ended).date() if ended else None


def training_days(onboarding: Onboarding, today: date) -> int:
    """Working days in training: the first working day from the start counts as day 1, up
    to ``today`` or the day the training ended; 0 before it starts."""
    first = working_day_on_or_after(onboarding.started_on)
    end = _training_end(onboarding) or today
    if end < first:
        return 0
    return working_days_between(first, end) + 1


def is_behind(onboarding: Onboarding, today: date) -> bool:
    """Still reading the products after the day they were due."""
    return (
        onboarding.state == TrainingState.FAMILIARIZATION and onboarding.familiarization_due < today
    )


def _decorate(onboarding: Onboarding, today: date) -> Onboarding:
    row: Any = onboarding
    row.days_in_training = training_days(onboarding, today)
    row.behind = is_behind(onboarding, today)
    row.ready_to_clear = (
        onboarding.state == TrainingState.SHARING
        and row.sessions_count >= settings.ONBOARDING_SHARING_SESSIONS
    )
    return onboarding


def onboarding_progress_board(*, today: date | None = None) -> list[Onboarding]:
    """Every open training and those cleared in the last ``RECENTLY_CLEARED_DAYS`` days,
    with their progress; by stage, then longest in training first."""
    today = today or timezone.localdate()
    since = timezone.now() - timedelta(days=RECENTLY_CLEARED_DAYS)
    qs = with_progress(
        Onboarding.objects.filter(
            Q(state__in=OPEN_TRAINING_STATES)
            | Q(state=TrainingState.CLEARED, cleared_at__gte=since)
        ).select_related("trainee", "mentor")
    )
    rows = [_decorate(onboarding, today) for onboarding in qs]
    rows.sort(key=lambda o: (STAGE_ORDER[o.state], o.started_on, o.pk))
    return rows


def trainees_to_clear_count() -> int:
    """Trainees in the sharing stage who attended enough sessions: a manager clears them."""
    return (
        with_progress(Onboarding.objects.filter(state=TrainingState.SHARING))
        .filter(sessions_count__gte=settings.ONBOARDING_SHARING_SESSIONS)  # type: ignore[misc]
        .count()
    )


def trainees_behind_count(today: date | None = None) -> int:
    """Trainees still reading the products after the day they were due."""
    return Onboarding.objects.filter(
        state=TrainingState.FAMILIARIZATION,
        familiarization_due__lt=today or timezone.localdate(),
    ).count()


def onboarding_detail(pk: int, *, today: date | None = None) -> Onboarding:
    """One training with its people and progress; raises ``Onboarding.DoesNotExist``."""
    onboarding = with_progress(
        Onboarding.objects.select_related(
            "trainee", "mentor", "cleared_by", "withdrawn_by", "created_by"
        )
    ).get(pk=pk)
    return _decorate(onboarding, today or timezone.localdate())


def open_onboarding_for(user: Any) -> Onboarding | None:
    """The training ``user`` is in now, if any."""
    if not getattr(user, "is_authenticated", False):
        return None
    return Onboarding.objects.filter(trainee=user, state__in=OPEN_TRAINING_STATES).first()


def latest_onboarding_for(user: Any) -> Onboarding | None:
    """The training ``user`` is in now, else their most recent one."""
    if not getattr(user, "is_authenticated", False):
        return None
    return open_onboarding_for(user) or Onboarding.objects.filter(trainee=user).first()


def is_in_training(user: Any) -> bool:
    """Is ``user`` in a training not cleared (nor withdrawn) yet?"""
    if not getattr(user, "is_authenticated", False):
        return False
    return Onboarding.objects.filter(trainee=user, state__in=OPEN_TRAINING_STATES).exists()


def readings_with_facts(onboarding: Onboarding) -> list[ProductReading]:
    """The reading list: each product with its brand, category and facts, and its SKUs
    listed now (``product.listed_skus``) with their specification and online price."""
    listed = with_current_price(Sku.objects.filter(state=SkuState.LISTED)).order_by("code")
    return list(
        ProductReading.objects.filter(onboarding=onboarding)
        .select_related("product__brand", "product__category__parent")
        .prefetch_related(Prefetch("product__skus", queryset=listed, to_attr="listed_skus"))
        .order_by("product__brand__name", "product__name", "pk")
    )


def attempts_of(onboarding: Onboarding) -> list[QuizAttempt]:
    """The training's quiz attempts, newest first, with their questions."""
    return list(
        QuizAttempt.objects.filter(onboarding=onboarding)
        .prefetch_related(Prefetch("questions", queryset=QuizQuestion.objects.order_by("position")))
        .order_by("-number")
    )


def attempt_detail(pk: int) -> QuizAttempt:
    """One attempt with its training, trainee and questions; raises ``DoesNotExist``."""
    return (
        QuizAttempt.objects.select_related("onboarding__trainee")
        .prefetch_related(Prefetch("questions", queryset=QuizQuestion.objects.order_by("position")))
        .get(pk=pk)
    )


# --- Sharing sessions -----------------------------------------------------------------------


def sessions_attended(onboarding: Onboarding) -> QuerySet[SharingSession]:
    """The sharing sessions the trainee attended since the training started."""
    return onboarding.attended_sessions().select_related("presenter").order_by("held_on", "pk")


def sharing_sessions() -> QuerySet[SharingSession]:
    """Every session, newest first, with its presenter and attendees."""
    return (
        SharingSession.objects.select_related("presenter", "recorded_by")
        .prefetch_related(
            Prefetch(
                "attendees",
                queryset=get_user_model().objects.order_by("last_name", "first_name", "username"),
            )
        )
        .annotate(attendee_count=Count("attendees", distinct=True))
        .order_by("-held_on", "-pk")
    )


def trainings_ready_to_clear(trainee_ids: list[int]) -> list[Onboarding]:
    """The trainings of these trainees that now have enough sessions to be cleared."""
    return list(
        with_progress(
            Onboarding.objects.filter(
                trainee_id__in=trainee_ids, state=TrainingState.SHARING
            ).select_related("trainee", "mentor", "created_by")
        ).filter(sessions_count__gte=settings.ONBOARDING_SHARING_SESSIONS)  # type: ignore[misc]
    )


def script_audiences(audience: str) -> tuple[str, ...]:
    """The script audiences a trainee for ``audience`` learns."""
    return (audience, ScriptAudience.BOTH)
