"""Service staff onboarding (客服岗前培训): a new pre- or after-sales service employee's
training track, and the guard that keeps a trainee from answering customers.

The track: a manager starts it (``onboarding_start``) → the trainee reads every listed
product and ticks it off (``reading_tick``; the last tick moves on to the quiz) → the
product quiz (``quiz_start``, ``quiz_submit``; a failed attempt is retaken with new
questions) → knowledge sharing sessions attended (``sharing_session_record``) → a manager
clears the trainee to answer customers (``onboarding_clear``), or withdraws the training
(``onboarding_withdraw``). Until cleared, ``require_cleared_for_customers`` refuses the
trainee the customer-facing services (opening return requests and after-sales cases,
recording callbacks).

The quiz is generated from data (the helpers below take plain facts, so they are tested
on their own):

- from the listings: the online price of a listed SKU, its specification, and its
  product's brand, place of origin, shelf life and storage (the wrong choices are other
  SKUs' and products' values; a fact with fewer than two distinct wrong values is not
  asked; prices with too few other prices get ±10/20 percent variations);
- from the reply scripts in use for the trainee's audience (or both audiences): the
  customer's question, answered by the script's answer among other scripts' answers
  (same category first), shortened to ``ANSWER_CHARS`` characters.

Each question has a stable ``key`` (``price:sku:12``, ``origin:product:3``,
``script:7``...). An attempt asks ``ONBOARDING_QUIZ_QUESTIONS`` of them (about half from
the listings, half from the scripts) but never the whole pool: at most the pool less one.
Questions never asked in the training come first, then the least recently asked ones; so a
retake always asks at least one question the attempt before it did not, and only new ones
whenever the pool holds enough.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from ecomops.accounts.names import person_name
from ecomops.accounts.roles import RoleCode
from ecomops.accounts.selectors import acting_user, user_role_codes
from ecomops.calendar import add_working_days, working_day_on_or_after
from ecomops.errors import (
    ApplicationError,
    ConflictError,
    PermissionDeniedError,
    require_permission,
)
from ecomops.fsm import transition
from ecomops.money import format_money
from ecomops.notifications.services import notify_role, notify_users
from listings.models import Product

from ..models import (
    Onboarding,
    ProductReading,
    QuizAttempt,
    QuizQuestion,
    ScriptAudience,
    SharingSession,
    TrainingState,
)
from ..selectors import training as selectors
from ..selectors.training import ScriptFacts, SkuFacts

RUN = "returns.run_onboarding"
RECORD_SESSION = "returns.record_sharing_session"
# A quiz needs at least this many questions in its pool.
MIN_POOL = 4
# Choices per question: the right one and up to this many wrong ones (at least two).
WRONG_CHOICES = 3
MIN_WRONG = 2
# Reply-script answers are shown shortened to this many characters.
ANSWER_CHARS = 80
# A training may be set to start up to this many days ahead.
START_AHEAD_DAYS = 30
LISTING = "listing"
SCRIPT = "script"
# Product facts the quiz asks about: (key prefix, SkuFacts attribute, Product field).
PRODUCT_FACTS = (
    ("origin", "origin", "origin"),
    ("shelf_life", "shelf_life", "shelf_life"),
    ("storage", "storage", "storage"),
)
PRICE_VARIATIONS = (Decimal("0.8"), Decimal("0.9"), Decimal("1.1"), Decimal("1.2"))


class TrainingError(ApplicationError):
    """A training step that cannot be taken as asked."""


def _field_error(field: str, message: str, detail: str | None = None) -> TrainingError:
    return TrainingError(message, {"fields": {field: [detail or message]}})


def _name(user: Any) -> str:
    return person_name(user)


# --- The guard ------------------------------------------------------------------------------


def require_cleared_for_customers(by: Any) -> None:
    """Refuse (403) a user still in training: they answer customers once cleared.

    Users who never had a training (all staff from before) and the system (``by=None``)
    are not affected.
    """
    if by is None or not getattr(by, "is_authenticated", False):
        return
    onboarding = selectors.open_onboarding_for(by)
    if onboarding is None:
        return
    raise PermissionDeniedError(
        _(
            "You are still in training (%(stage)s): you may answer customers once a manager "
            "has cleared you. Ask your mentor."
        )
        % {"stage": onboarding.get_state_display()}
    )


# --- Quiz generation (pure helpers) ---------------------------------------------------------


@dataclass(frozen=True)
class QuestionCandidate:
    """A question the quiz may ask: its fact's key, the right answer and the wrong answers
    to draw from (the first ``preferred`` of them are drawn first: the closest ones)."""

    key: str
    kind: str  # LISTING or SCRIPT
    text: str
    answer: str
    wrong: tuple[str, ...]
    source: str
    preferred: int = 0


@dataclass(frozen=True)
class QuestionDraft:
    key: str
    text: str
    choices: list[str]
    correct_choice: int
    source: str


def shorten(text: str, limit: int = ANSWER_CHARS) -> str:
    """``text`` on one line, cut to ``limit`` characters with an ellipsis."""
    flat = " ".join((text or "").split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def _distinct(values: Iterable[str], *, besides: str) -> list[str]:
    """Distinct non-empty values other than ``besides``, in their first order."""
    seen: list[str] = []
    for value in values:
        if value and value != besides and value not in seen:
            seen.append(value)
    return seen


def price_variations(price: Decimal) -> list[Decimal]:
    """Plausible wrong prices around ``price``: ±10 and ±20 percent, in whole yuan when the
    price is in whole yuan."""
    whole = price == price.to_integral_value()
    step = Decimal("1") if whole else Decimal("0.01")
    values = []
    for factor in PRICE_VARIATIONS:
        value = (price * factor).quantize(step, rounding=ROUND_HALF_UP)
        if value > 0 and value != price and value not in values:
            values.append(value)
    return values


def listing_candidates(skus: Sequence[SkuFacts]) -> list[QuestionCandidate]:
    """Questions about the listed SKUs and their products (see the module's docstring)."""
    candidates: list[QuestionCandidate] = []
    prices = [format_money(s.price) for s in skus if s.price is not None]
    for sku in skus:
        if sku.price is None:
            continue
        answer = format_money(sku.price)
        wrong = _distinct(prices, besides=answer)
        if len(wrong) < WRONG_CHOICES:
            extra = [format_money(v) for v in price_variations(sku.price)]
            wrong = _distinct([*wrong, *extra], besides=answer)
        candidates.append(
            QuestionCandidate(
                key=f"price:sku:{sku.sku_id}",
                kind=LISTING,
                text=_("What is the online price of %(sku)s?") % {"sku": f"{sku.code} {sku.name}"},
                answer=answer,
                wrong=tuple(wrong),
                source=_("Online price of %(code)s when the quiz was made") % {"code": sku.code},
            )
        )
    for sku in skus:
        if not sku.specification:
            continue
        # Other specifications of the same product are the closest wrong answers.
        same = _distinct(
            (s.specification for s in skus if s.product_id == sku.product_id),
            besides=sku.specification,
        )
        wrong = _distinct([*same, *(s.specification for s in skus)], besides=sku.specification)
        if len(wrong) < MIN_WRONG:
            continue
        candidates.append(
            QuestionCandidate(
                key=f"spec:sku:{sku.sku_id}",
                kind=LISTING,
                text=_("Which specification is %(code)s of %(product)s?")
                % {"code": sku.code, "product": sku.product_name},
                answer=sku.specification,
                wrong=tuple(wrong),
                preferred=len(same),
                source=_("Specification of %(code)s in the product data") % {"code": sku.code},
            )
        )
    products: dict[int, SkuFacts] = {}
    for sku in skus:
        products.setdefault(sku.product_id, sku)
    texts = {
        "brand": _("Which brand is %(product)s?"),
        "origin": _("Where does %(product)s come from?"),
        "shelf_life": _("What is the shelf life of %(product)s?"),
        "storage": _("How should %(product)s be stored?"),
    }
    labels = {
        "brand": _("brand"),
        **{
            prefix: str(getattr(Product._meta.get_field(field), "verbose_name", field))
            for prefix, _attribute, field in PRODUCT_FACTS
        },
    }
    facts = [("brand", "brand"), *((prefix, attr) for prefix, attr, _field in PRODUCT_FACTS)]
    for product in products.values():
        for prefix, attribute in facts:
            answer = getattr(product, attribute)
            if not answer:
                continue
            wrong = _distinct(
                (getattr(other, attribute) for other in products.values()), besides=answer
            )
            if len(wrong) < MIN_WRONG:
                continue
            candidates.append(
                QuestionCandidate(
                    key=f"{prefix}:product:{product.product_id}",
                    kind=LISTING,
                    text=texts[prefix] % {"product": product.product_name},
                    answer=answer,
                    wrong=tuple(wrong),
                    source=_("Product data of %(product)s: %(fact)s")
                    % {"product": product.product_name, "fact": labels[prefix]},
                )
            )
    return candidates


def script_candidates(scripts: Sequence[ScriptFacts], audience: str) -> list[QuestionCandidate]:
    """Questions about the reply scripts of ``audience`` (and of both audiences); the wrong
    answers are other scripts' answers, those of the same category first."""
    audiences = selectors.script_audiences(audience)
    candidates: list[QuestionCandidate] = []
    for script in scripts:
        if script.audience not in audiences:
            continue
        answer = shorten(script.answer)
        others = [s for s in scripts if s.script_id != script.script_id]
        same = _distinct(
            (shorten(s.answer) for s in others if s.category == script.category), besides=answer
        )
        wrong = _distinct([*same, *(shorten(s.answer) for s in others)], besides=answer)
        if len(wrong) < MIN_WRONG:
            continue
        candidates.append(
            QuestionCandidate(
                key=f"script:{script.script_id}",
                kind=SCRIPT,
                text=_("The customer asks: “%(question)s”. How do you answer?")
                % {"question": script.question},
                answer=answer,
                wrong=tuple(wrong),
                preferred=len(same),
                source=_("Reply script #%(number)s") % {"number": script.script_id},
            )
        )
    return candidates


def quiz_size(pool_size: int, wanted: int) -> int:
    """How many questions an attempt asks: ``wanted``, but never the whole pool, so the
    next attempt has at least one question this one did not ask."""
    return max(0, min(wanted, pool_size - 1))


def choose_candidates(
    pool: Sequence[QuestionCandidate],
    *,
    count: int,
    asked: Mapping[str, int],
    rng: random.Random,
) -> list[QuestionCandidate]:
    """Pick ``count`` questions: never asked ones first, then the least recently asked
    (``asked`` maps a key to the last attempt number that asked it); inside each group
    about half from the listings and half from the scripts. Returned in random order."""
    tiers: dict[int, list[QuestionCandidate]] = {}
    for candidate in pool:
        tiers.setdefault(asked.get(candidate.key, 0), []).append(candidate)
    want_scripts = count // 2
    want_listings = count - want_scripts
    chosen: list[QuestionCandidate] = []
    for tier in sorted(tiers):
        need = count - len(chosen)
        if need <= 0:
            break
        group = tiers[tier]
        if len(group) <= need:
            chosen.extend(group)
            continue
        listings = [c for c in group if c.kind == LISTING]
        scripts = [c for c in group if c.kind == SCRIPT]
        rng.shuffle(listings)
        rng.shuffle(scripts)
        for _index in range(need):
            have_listings = sum(1 for c in chosen if c.kind == LISTING)
            have_scripts = len(chosen) - have_listings
            prefer_listing = want_listings - have_listings >= want_scripts - have_scripts
            if listings and (prefer_listing or not scripts):
                chosen.append(listings.pop())
            else:
                chosen.append(scripts.pop())
    rng.shuffle(chosen)
    return chosen


def draft_question(candidate: QuestionCandidate, rng: random.Random) -> QuestionDraft:
    """The question with the right answer among up to three wrong ones, shuffled."""
    close = list(candidate.wrong[: candidate.preferred])
    rest = list(candidate.wrong[candidate.preferred :])
    wrong = rng.sample(close, min(WRONG_CHOICES, len(close)))
    if len(wrong) < WRONG_CHOICES and rest:
        wrong += rng.sample(rest, min(WRONG_CHOICES - len(wrong), len(rest)))
    choices = [candidate.answer, *wrong]
    rng.shuffle(choices)
    return QuestionDraft(
        key=candidate.key,
        text=candidate.text,
        choices=choices,
        correct_choice=choices.index(candidate.answer),
        source=candidate.source,
    )


def question_pool(audience: str) -> list[QuestionCandidate]:
    """Every question the quiz may ask a trainee for ``audience``, from today's data."""
    return [
        *listing_candidates(selectors.quiz_sku_facts()),
        *script_candidates(selectors.quiz_script_facts(), audience),
    ]


# --- Notifications --------------------------------------------------------------------------


def _tell_managers(onboarding: Onboarding, *, title: str, key: str, body: str = "") -> None:
    """The trainee's mentor and the manager who started the training; the managers when
    neither is there."""
    people = {
        user.pk: user
        for user in (onboarding.mentor, onboarding.created_by)
        if user is not None and user.is_active
    }
    url = onboarding.get_absolute_url()
    if people:
        notify_users(users=people.values(), title=title, body=body, url=url, key=key)
    else:
        notify_role(role=RoleCode.MANAGER, title=title, body=body, url=url, key=key)


def _tell_trainee(onboarding: Onboarding, *, title: str, key: str, body: str = "") -> None:
    notify_users(
        users=[onboarding.trainee],
        title=title,
        body=body,
        url=onboarding.get_absolute_url(),
        key=key,
    )


# --- Starting and ending a training ---------------------------------------------------------


def _lock(onboarding_id: int) -> Onboarding:
    return (
        Onboarding.objects.select_for_update(of=("self",))
        .select_related("trainee", "mentor", "created_by")
        .get(pk=onboarding_id)
    )


def _trainee_only(onboarding: Onboarding, by: Any, message: str) -> None:
    if by is not None and by.pk != onboarding.trainee_id:
        raise PermissionDeniedError(message)


def onboarding_start(
    *,
    trainee_id: int,
    by: Any,
    mentor_id: int | None = None,
    started_on: date | None = None,
) -> Onboarding:
    """Start a service employee's training: their reading list is every product listed now.

    The trainee trains for pre-sales when they hold the pre-sales role (also when they hold
    both), else for after-sales. Reading is due ``ONBOARDING_FAMILIARIZATION_DAYS`` working
    days after the start, the start (or the first working day after it) being day 1.
    """
    require_permission(by, RUN, _("Only a manager can start a service training."))
    today = timezone.localdate()
    started_on = started_on or today
    if started_on > today + timedelta(days=START_AHEAD_DAYS):
        raise _field_error(
            "started_on",
            _("A training can be set to start at most %(days)s days ahead.")
            % {"days": START_AHEAD_DAYS},
        )
    User = get_user_model()
    trainee = User.objects.filter(pk=trainee_id, is_active=True).first()
    if trainee is None:
        raise _field_error("trainee", _("Choose an active colleague to train."))
    roles = user_role_codes(trainee)
    if RoleCode.PRESALES_SERVICE in roles:
        audience = ScriptAudience.PRESALES
    elif RoleCode.AFTERSALES_SERVICE in roles:
        audience = ScriptAudience.AFTERSALES
    else:
        raise _field_error(
            "trainee",
            _("%(name)s is not in pre- or after-sales service: only service staff train here.")
            % {"name": _name(trainee)},
        )
    mentor = None
    if mentor_id is not None:
        mentor = User.objects.filter(pk=mentor_id, is_active=True).first()
        if mentor is None:
            raise _field_error("mentor", _("Choose an active colleague as the mentor."))
        if mentor.pk == trainee.pk:
            raise _field_error("mentor", _("A trainee cannot be their own mentor."))
    product_ids = selectors.listed_product_ids()
    if not product_ids:
        raise ConflictError(
            _("No product is listed yet: list products before starting a service training.")
        )
    first_day = working_day_on_or_after(started_on)
    due = add_working_days(first_day, max(settings.ONBOARDING_FAMILIARIZATION_DAYS - 1, 0))
    already = _("%(name)s is already in a service training.") % {"name": _name(trainee)}
    with transaction.atomic():
        # Serialise starts for the same trainee; the constraint is the backstop.
        User.objects.select_for_update().filter(pk=trainee.pk).first()
        if selectors.open_onboarding_for(trainee) is not None:
            raise _field_error("trainee", already)
        try:
            with transaction.atomic():
                onboarding = Onboarding.objects.create(
                    trainee=trainee,
                    audience=audience,
                    mentor=mentor,
                    started_on=started_on,
                    familiarization_due=due,
                    created_by=acting_user(by),
                )
        except IntegrityError:
            raise _field_error("trainee", already) from None
        ProductReading.objects.bulk_create(
            [ProductReading(onboarding=onboarding, product_id=pk) for pk in product_ids],
            batch_size=500,
        )
        _tell_trainee(
            onboarding,
            title=_("Your service training starts on %(day)s") % {"day": started_on.isoformat()},
            body=_(
                "Read the %(count)s listed products and tick each off by %(due)s; then take "
                "the product quiz."
            )
            % {"count": len(product_ids), "due": due.isoformat()},
            key=f"onboarding:{onboarding.pk}:started",
        )
    return onboarding


def onboarding_clear(*, onboarding_id: int, by: Any) -> Onboarding:
    """Clear the trainee to answer customers, once they attended enough sharing sessions."""
    require_permission(by, RUN, _("Only a manager can clear a trainee."))
    with transaction.atomic():
        onboarding = _lock(onboarding_id)
        if onboarding.state == TrainingState.CLEARED:
            return onboarding
        if onboarding.state != TrainingState.SHARING:
            raise ConflictError(
                _("%(training)s cannot be cleared while in the stage “%(stage)s”.")
                % {"training": onboarding, "stage": onboarding.get_state_display()}
            )
        attended = onboarding.attended_sessions().count()
        wanted = settings.ONBOARDING_SHARING_SESSIONS
        if attended < wanted:
            raise ConflictError(
                _(
                    "Not yet: %(attended)s of %(wanted)s sessions attended. The trainee must "
                    "attend %(wanted)s knowledge sharing sessions first."
                )
                % {"attended": attended, "wanted": wanted}
            )
        transition(
            onboarding,
            "clear",
            by=by,
            at=timezone.now(),
            actor=acting_user(by),
            update_fields=["cleared_at", "cleared_by"],
        )
        _tell_trainee(
            onboarding,
            title=_("You are cleared to answer customers"),
            body=_("Your service training is complete. Welcome to the team!"),
            key=f"onboarding:{onboarding.pk}:cleared",
        )
    return onboarding


def onboarding_withdraw(*, onboarding_id: int, why: str, by: Any) -> Onboarding:
    """End a training before it is complete (the employee left, changed jobs...)."""
    require_permission(by, RUN, _("Only a manager can withdraw a training."))
    why = (why or "").strip()
    if not why:
        raise _field_error(
            "why", _("Say why the training is withdrawn."), _("This field is required.")
        )
    max_length = Onboarding._meta.get_field("withdrawn_reason").max_length or 300
    if len(why) > max_length:
        raise _field_error(
            "why", _("Keep the reason within %(max)s characters.") % {"max": max_length}
        )
    with transaction.atomic():
        onboarding = _lock(onboarding_id)
        if onboarding.state == TrainingState.WITHDRAWN:
            return onboarding
        transition(
            onboarding,
            "withdraw",
            by=by,
            reason=why,
            at=timezone.now(),
            actor=acting_user(by),
            why=why,
            update_fields=["withdrawn_at", "withdrawn_by", "withdrawn_reason"],
        )
        _tell_trainee(
            onboarding,
            title=_("Your service training was withdrawn"),
            body=why,
            key=f"onboarding:{onboarding.pk}:withdrawn",
        )
    return onboarding


# --- Product familiarization ----------------------------------------------------------------


def reading_tick(*, onboarding_id: int, product_id: int, by: Any) -> ProductReading:
    """The trainee read a product: tick it off. The last tick moves on to the quiz."""
    with transaction.atomic():
        onboarding = _lock(onboarding_id)
        _trainee_only(onboarding, by, _("Only the trainee ticks off the products they read."))
        reading = (
            ProductReading.objects.select_for_update(of=("self",))
            .select_related("product")
            .filter(onboarding=onboarding, product_id=product_id)
            .first()
        )
        if reading is None:
            raise _field_error("product", _("This product is not on the reading list."))
        if reading.is_read:
            return reading
        if onboarding.state != TrainingState.FAMILIARIZATION:
            raise ConflictError(
                _("Products are ticked off while reading them (the training is at “%(stage)s”).")
                % {"stage": onboarding.get_state_display()}
            )
        now = timezone.now()
        reading.read_at = now
        reading.save(update_fields=["read_at"])
        if not onboarding.readings.filter(read_at__isnull=True).exists():
            transition(
                onboarding, "finish_reading", by=by, at=now, update_fields=["readings_finished_at"]
            )
            _tell_trainee(
                onboarding,
                title=_("Every product read: take the product quiz"),
                key=f"onboarding:{onboarding.pk}:read",
            )
    return reading


# --- The product quiz -----------------------------------------------------------------------


def quiz_start(*, onboarding_id: int, by: Any, rng: random.Random | None = None) -> QuizAttempt:
    """Start an attempt at the quiz, with questions new to the training as far as the
    pool allows; an attempt not submitted yet is returned as it is."""
    rng = rng or random.SystemRandom()
    with transaction.atomic():
        onboarding = _lock(onboarding_id)
        _trainee_only(onboarding, by, _("Only the trainee takes their quiz."))
        if onboarding.state != TrainingState.QUIZ:
            raise ConflictError(
                _("The quiz is taken after reading the products (the training is at “%(stage)s”).")
                % {"stage": onboarding.get_state_display()}
            )
        open_attempt = selectors.open_attempt(onboarding.pk)
        if open_attempt is not None:
            return open_attempt
        pool = question_pool(onboarding.audience)
        if len(pool) < MIN_POOL:
            raise ConflictError(
                _(
                    "There is not enough product data and reply scripts to make a quiz "
                    "(%(count)s questions, %(min)s needed). A manager must list products or "
                    "write reply scripts first."
                )
                % {"count": len(pool), "min": MIN_POOL}
            )
        size = quiz_size(len(pool), settings.ONBOARDING_QUIZ_QUESTIONS)
        chosen = choose_candidates(
            pool, count=size, asked=selectors.asked_keys(onboarding.pk), rng=rng
        )
        attempt = QuizAttempt.objects.create(
            onboarding=onboarding,
            number=selectors.last_attempt_number(onboarding.pk) + 1,
            started_at=timezone.now(),
            total=len(chosen),
            pass_percent=settings.ONBOARDING_QUIZ_PASS_PERCENT,
        )
        drafts = [draft_question(candidate, rng) for candidate in chosen]
        QuizQuestion.objects.bulk_create(
            [
                QuizQuestion(
                    attempt=attempt,
                    position=position,
                    key=draft.key,
                    text=draft.text,
                    choices=draft.choices,
                    correct_choice=draft.correct_choice,
                    source=draft.source[:300],
                )
                for position, draft in enumerate(drafts, start=1)
            ]
        )
    return attempt


def quiz_submit(*, attempt_id: int, answers: Mapping[int, int | None], by: Any) -> QuizAttempt:
    """Hand in an attempt: ``answers`` maps each question's id to the index of the choice
    taken. Every question must be answered. It passes when the right answers reach the pass
    mark (``correct × 100 ≥ total × pass_percent``); a passed quiz moves the training on to
    the sharing sessions, a failed one is retaken with new questions."""
    onboarding_id = (
        QuizAttempt.objects.filter(pk=attempt_id).values_list("onboarding_id", flat=True).first()
    )
    if onboarding_id is None:
        raise _field_error("attempt", _("No such quiz attempt."))
    with transaction.atomic():
        onboarding = _lock(onboarding_id)
        _trainee_only(onboarding, by, _("Only the trainee answers their quiz."))
        attempt = QuizAttempt.objects.select_for_update().get(pk=attempt_id)
        if attempt.is_submitted:
            raise ConflictError(
                _("This attempt was already submitted (%(correct)s of %(total)s right).")
                % {"correct": attempt.correct, "total": attempt.total}
            )
        if onboarding.state != TrainingState.QUIZ:
            raise ConflictError(
                _("The quiz cannot be submitted while the training is at “%(stage)s”.")
                % {"stage": onboarding.get_state_display()}
            )
        questions = list(attempt.questions.order_by("position"))
        known = {q.pk for q in questions}
        if any(question_id not in known for question_id in answers):
            raise TrainingError(_("Some answers are not for this quiz's questions."))
        errors: dict[str, list[str]] = {}
        for question in questions:
            choice = answers.get(question.pk)
            if choice is None:
                errors[f"question_{question.pk}"] = [_("Choose an answer.")]
            elif not 0 <= choice < len(question.choices):
                errors[f"question_{question.pk}"] = [_("Choose one of the answers shown.")]
        if errors:
            raise TrainingError(
                _("Answer every question: %(count)s not answered.") % {"count": len(errors)},
                {"fields": errors},
            )
        correct = 0
        for question in questions:
            question.answer = answers[question.pk]
            question.is_correct = question.answer == question.correct_choice
            correct += int(question.is_correct)
        QuizQuestion.objects.bulk_update(questions, ["answer", "is_correct"])
        now = timezone.now()
        attempt.submitted_at = now
        attempt.correct = correct
        attempt.total = len(questions)
        attempt.passed = correct * 100 >= attempt.total * attempt.pass_percent
        attempt.save(update_fields=["submitted_at", "correct", "total", "passed"])
        score = {"correct": correct, "total": attempt.total, "mark": attempt.pass_percent}
        if attempt.passed:
            transition(onboarding, "pass_quiz", by=by, at=now, update_fields=["quiz_passed_at"])
            _tell_managers(
                onboarding,
                title=_("%(trainee)s passed the product quiz (%(correct)s of %(total)s)")
                % {"trainee": _name(onboarding.trainee), **score},
                body=_("Next: %(count)s knowledge sharing sessions.")
                % {"count": settings.ONBOARDING_SHARING_SESSIONS},
                key=f"onboarding:{onboarding.pk}:quiz-passed",
            )
        else:
            _tell_trainee(
                onboarding,
                title=_(
                    "Quiz not passed: %(correct)s of %(total)s right, pass mark %(mark)s percent"
                )
                % score,
                body=_("A retake with new questions is ready to start whenever you are."),
                key=f"onboarding:{onboarding.pk}:attempt-{attempt.number}-failed",
            )
    return attempt


# --- Knowledge sharing sessions -------------------------------------------------------------


def sharing_session_check(
    *, held_on: date | None, topic: str, attendee_ids: Iterable[int]
) -> dict[str, list[str]]:
    """What is wrong with a session as typed (field → messages); empty when nothing."""
    errors: dict[str, list[str]] = {}
    if held_on is None:
        errors["held_on"] = [_("Enter the day the session was held.")]
    elif held_on > timezone.localdate():
        errors["held_on"] = [_("Record a session once it has been held: this day is ahead.")]
    if not (topic or "").strip():
        errors["topic"] = [_("Write the session's topic.")]
    if not list(attendee_ids):
        errors["attendees"] = [_("Choose at least one attendee.")]
    return errors


def _session_people(
    presenter_id: int | None,
    attendee_ids: Iterable[int],
    session: SharingSession | None = None,
) -> tuple[Any | None, list[Any]]:
    """The presenter and attendees: active colleagues (when correcting a session, those
    already on it stay even if they have left since)."""
    User = get_user_model()
    wanted = sorted(set(attendee_ids))
    present = Q(is_active=True)
    if session is not None:
        present |= Q(pk__in=session.attendees.values("pk"))
        if session.presenter_id is not None:
            present |= Q(pk=session.presenter_id)
    attendees = list(User.objects.filter(present, pk__in=wanted).distinct().order_by("pk"))
    if len(attendees) != len(wanted):
        raise _field_error("attendees", _("Choose active colleagues as attendees."))
    presenter = None
    if presenter_id is not None:
        presenter = User.objects.filter(present, pk=presenter_id).first()
        if presenter is None:
            raise _field_error("presenter", _("Choose an active colleague as the presenter."))
    return presenter, attendees


def _announce_ready(trainee_ids: list[int]) -> None:
    """Trainees who now attended enough sessions: their mentor or manager may clear them."""
    for onboarding in selectors.trainings_ready_to_clear(trainee_ids):
        _tell_managers(
            onboarding,
            title=_("%(trainee)s attended the sharing sessions and can be cleared")
            % {"trainee": _name(onboarding.trainee)},
            key=f"onboarding:{onboarding.pk}:ready",
        )


def _clean_session(
    *, held_on: date | None, topic: str, attendee_ids: Iterable[int], notes: str
) -> tuple[str, str, list[int]]:
    ids = list(attendee_ids)
    errors = sharing_session_check(held_on=held_on, topic=topic, attendee_ids=ids)
    topic = (topic or "").strip()
    max_topic = SharingSession._meta.get_field("topic").max_length or 200
    if len(topic) > max_topic:
        errors["topic"] = [_("Keep the topic within %(max)s characters.") % {"max": max_topic}]
    if errors:
        raise TrainingError(_("The session is not complete."), {"fields": errors})
    return topic, (notes or "").strip(), ids


def sharing_session_record(
    *,
    held_on: date,
    topic: str,
    attendee_ids: Iterable[int],
    by: Any,
    presenter_id: int | None = None,
    notes: str = "",
) -> SharingSession:
    """Record a knowledge sharing session that was held, with who attended it."""
    require_permission(by, RECORD_SESSION, _("You are not allowed to record sharing sessions."))
    topic, notes, ids = _clean_session(
        held_on=held_on, topic=topic, attendee_ids=attendee_ids, notes=notes
    )
    with transaction.atomic():
        presenter, attendees = _session_people(presenter_id, ids)
        session = SharingSession.objects.create(
            held_on=held_on,
            topic=topic,
            presenter=presenter,
            notes=notes,
            recorded_by=acting_user(by),
        )
        session.attendees.set(attendees)
        _announce_ready([user.pk for user in attendees])
    return session


def sharing_session_update(
    *,
    session_id: int,
    held_on: date,
    topic: str,
    attendee_ids: Iterable[int],
    by: Any,
    presenter_id: int | None = None,
    notes: str = "",
) -> SharingSession:
    """Correct a recorded session (its day, topic, presenter, attendees or notes)."""
    require_permission(by, RECORD_SESSION, _("You are not allowed to record sharing sessions."))
    topic, notes, ids = _clean_session(
        held_on=held_on, topic=topic, attendee_ids=attendee_ids, notes=notes
    )
    with transaction.atomic():
        session = SharingSession.objects.select_for_update().get(pk=session_id)
        presenter, attendees = _session_people(presenter_id, ids, session)
        session.held_on = held_on
        session.topic = topic
        session.presenter = presenter
        session.notes = notes
        session.save(update_fields=["held_on", "topic", "presenter", "notes"])
        session.attendees.set(attendees)
        _announce_ready([user.pk for user in attendees])
    return session
