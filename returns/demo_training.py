"""Service training demo data: a pre-sales trainee mid-track and an after-sales colleague
cleared this week, with the two knowledge sharing sessions they attended.

- ``trainee`` (陈小雨, pre-sales service; mentor: the pre-sales demo user) started three
  working days ago, read every listed product, failed the first quiz attempt (6 of 10),
  passed the retake with new questions and attended 1 of the 2 sharing sessions: the
  managers' board shows every stage.
- ``trainee_aftersales`` (林晓峰, after-sales service) started twelve working days ago,
  passed the quiz at the first attempt, attended both sessions and was cleared.

Everything goes through the real services (the same quiz generation, transitions, logs
and notifications), then the timestamps are moved back to the days it happened. Run
twice, it adds nothing: a demo trainee with a training is left alone, sessions are found
again by their topic.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone
from django_fsm_log.models import StateLog

from ecomops.accounts.roles import RoleCode
from ecomops.accounts.services import user_add_roles
from ecomops.calendar import add_working_days, is_working_day, local_datetime
from ecomops.demo import DEMO_PASSWORD
from ecomops.errors import ApplicationError

from .models import Onboarding, QuizAttempt, SharingSession
from .services import training as services

Log = Callable[[str], None]

TRAINEE = "trainee"
CLEARED_TRAINEE = "trainee_aftersales"
SESSION_RETURNS = "售后退换货流程与话术要点"
SESSION_NEW_PRODUCTS = "新品上架：卖点与顾客常问问题"


def _demo_user(username: str, name: tuple[str, str], role: str) -> Any:
    last, first = name
    user, _created = get_user_model().objects.get_or_create(
        username=username,
        defaults={"first_name": first, "last_name": last, "email": f"{username}@ecomops.local"},
    )
    user.set_password(DEMO_PASSWORD)
    user.save(update_fields=["password"])
    user_add_roles(user=user, roles=[role])
    return user


def _user(username: str) -> Any:
    return get_user_model().objects.get(username=username)


def working_days_ago(today: date, count: int) -> date:
    """The working day ``count`` working days before ``today``."""
    day = today
    for _ in range(count):
        day -= timedelta(days=1)
        while not is_working_day(day):
            day -= timedelta(days=1)
    return day


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return local_datetime(day, time(hour, minute))


def _read_everything(onboarding: Onboarding, trainee: Any, days: list[date]) -> None:
    """Tick off every product, spread over ``days`` (working hours)."""
    readings = list(onboarding.readings.order_by("pk"))
    per_day = max(1, math.ceil(len(readings) / len(days)))
    for index, reading in enumerate(readings):
        services.reading_tick(
            onboarding_id=onboarding.pk, product_id=reading.product_id, by=trainee
        )
        day = days[min(index // per_day, len(days) - 1)]
        minutes = (index % per_day) * 420 // per_day
        type(reading).objects.filter(pk=reading.pk).update(
            read_at=_at(day, 9, 30) + timedelta(minutes=minutes)
        )
    Onboarding.objects.filter(pk=onboarding.pk).update(readings_finished_at=_at(days[-1], 16, 40))


def _sit_quiz(
    onboarding: Onboarding, trainee: Any, *, fail: bool, at: datetime, rng: random.Random
) -> QuizAttempt:
    """Take an attempt: every answer right, or (``fail``) about 60 percent."""
    attempt = services.quiz_start(onboarding_id=onboarding.pk, by=trainee, rng=rng)
    questions = list(attempt.questions.order_by("position"))
    right = _failing_score(len(questions)) if fail else len(questions)
    answers = {}
    for index, question in enumerate(questions):
        if index < right:
            answers[question.pk] = question.correct_choice
        else:
            answers[question.pk] = (question.correct_choice + 1) % len(question.choices)
    attempt = services.quiz_submit(attempt_id=attempt.pk, answers=answers, by=trainee)
    QuizAttempt.objects.filter(pk=attempt.pk).update(
        started_at=at, submitted_at=at + timedelta(minutes=25)
    )
    return attempt


def _failing_score(total: int) -> int:
    """About 60 percent right, below the pass mark."""
    below = math.ceil(total * settings.ONBOARDING_QUIZ_PASS_PERCENT / 100) - 1
    return max(0, min(total * 6 // 10, below))


def _backdate_logs(onboarding: Onboarding) -> None:
    onboarding.refresh_from_db()
    times = {
        "finish_reading": onboarding.readings_finished_at,
        "pass_quiz": onboarding.quiz_passed_at,
        "clear": onboarding.cleared_at,
    }
    logs = StateLog.objects.filter(
        content_type=ContentType.objects.get_for_model(Onboarding), object_id=onboarding.pk
    )
    for log in logs:
        moment = times.get(log.transition)
        if moment is not None:
            log.timestamp = moment
            log.save(update_fields=["timestamp"])


def _session(
    *, topic: str, held_on: date, presenter: Any, attendees: list[Any], notes: str, by: Any
) -> SharingSession:
    session = SharingSession.objects.filter(topic=topic).first()
    if session is not None:
        return session
    return services.sharing_session_record(
        held_on=held_on,
        topic=topic,
        presenter_id=presenter.pk,
        attendee_ids=[user.pk for user in attendees],
        notes=notes,
        by=by,
    )


def seed_training(log: Log) -> None:
    manager = _user(RoleCode.MANAGER)
    presales = _user(RoleCode.PRESALES_SERVICE)
    aftersales = _user(RoleCode.AFTERSALES_SERVICE)
    trainee = _demo_user(TRAINEE, ("陈", "小雨"), RoleCode.PRESALES_SERVICE)
    veteran = _demo_user(CLEARED_TRAINEE, ("林", "晓峰"), RoleCode.AFTERSALES_SERVICE)
    if Onboarding.objects.filter(trainee__in=[trainee, veteran]).exists():
        log("returns: service training already there")
        return
    today = timezone.localdate()
    start = working_days_ago(today, 3)
    veteran_start = working_days_ago(today, 12)
    rng = random.Random(10)  # noqa: S311 (demo data)
    try:
        with transaction.atomic():
            _seed(
                manager=manager,
                presales=presales,
                aftersales=aftersales,
                trainee=trainee,
                veteran=veteran,
                start=start,
                veteran_start=veteran_start,
                rng=rng,
            )
    except ApplicationError as exc:
        log(f"returns: no service training demo ({exc.message})")
        return
    log(
        f"returns: service training (log in as {TRAINEE} or {CLEARED_TRAINEE}, "
        f"password {DEMO_PASSWORD})"
    )


def _seed(
    *,
    manager: Any,
    presales: Any,
    aftersales: Any,
    trainee: Any,
    veteran: Any,
    start: date,
    veteran_start: date,
    rng: random.Random,
) -> None:
    # The after-sales colleague: read in two days, passed at the first attempt.
    done = services.onboarding_start(
        trainee_id=veteran.pk, mentor_id=aftersales.pk, started_on=veteran_start, by=manager
    )
    _read_everything(done, veteran, [veteran_start, add_working_days(veteran_start, 1)])
    quiz_day = add_working_days(veteran_start, 2)
    _sit_quiz(done, veteran, fail=False, at=_at(quiz_day, 10), rng=rng)
    Onboarding.objects.filter(pk=done.pk).update(quiz_passed_at=_at(quiz_day, 10, 25))
    _session(
        topic=SESSION_RETURNS,
        held_on=add_working_days(veteran_start, 4),
        presenter=aftersales,
        attendees=[veteran, aftersales, presales],
        notes="七天无理由的适用范围、拍照取证要点、换货与退款的话术对比。",
        by=aftersales,
    )

    # The pre-sales trainee: read in two days, failed once, passed the retake.
    onboarding = services.onboarding_start(
        trainee_id=trainee.pk, mentor_id=presales.pk, started_on=start, by=manager
    )
    _read_everything(onboarding, trainee, [start, add_working_days(start, 1)])
    quiz_day = add_working_days(start, 2)
    _sit_quiz(onboarding, trainee, fail=True, at=_at(quiz_day, 9, 30), rng=rng)
    _sit_quiz(onboarding, trainee, fail=False, at=_at(quiz_day, 14), rng=rng)
    Onboarding.objects.filter(pk=onboarding.pk).update(quiz_passed_at=_at(quiz_day, 14, 25))
    _session(
        topic=SESSION_NEW_PRODUCTS,
        held_on=quiz_day,
        presenter=presales,
        attendees=[trainee, veteran, presales, aftersales],
        notes="本周上新商品的卖点、规格区别和价格口径；顾客常问的保质期与储存问题。",
        by=presales,
    )

    # Two sessions attended: the after-sales colleague is cleared that evening.
    services.onboarding_clear(onboarding_id=done.pk, by=manager)
    Onboarding.objects.filter(pk=done.pk).update(
        cleared_at=_at(quiz_day, 17, 30), created_at=_at(veteran_start, 9)
    )
    Onboarding.objects.filter(pk=onboarding.pk).update(created_at=_at(start, 9))
    for track in (done, onboarding):
        _backdate_logs(track)
