"""Service staff onboarding through the services: the training path from start to cleared,
the guard that keeps trainees away from customers, and who may do what."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone
from django_fsm_log.models import StateLog

from ecomops.errors import ApplicationError, ConflictError, PermissionDeniedError
from ecomops.notifications.models import Notification
from returns.models import Onboarding, ProductReading, ScriptAudience, TrainingState
from returns.selectors import training as selectors
from returns.services import cases as case_services
from returns.services import training as services
from tests.returns.factories import delivered_order, open_return
from tests.returns.training_factories import (
    WEDNESDAY,
    answers,
    catalog,
    in_sharing,
    read_all,
    session,
    sit,
    start,
)

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("english"),
    pytest.mark.clock(WEDNESDAY),
]


@pytest.fixture
def trainee(make_user: Any) -> Any:
    return make_user("aftersales_service", username="newbie", first_name="小雨", last_name="陈")


@pytest.fixture
def mentor(make_user: Any) -> Any:
    return make_user("aftersales_service", username="mentor")


def attended(onboarding: Onboarding) -> int:
    row: Any = selectors.onboarding_detail(onboarding.pk)
    return int(row.sessions_count)


def states(onboarding: Onboarding) -> list[tuple[str, str]]:
    logs = StateLog.objects.filter(
        content_type=ContentType.objects.get_for_model(Onboarding), object_id=onboarding.pk
    ).order_by("pk")
    return [(log.transition, log.by.username if log.by else "") for log in logs]


# --- The whole path -----------------------------------------------------------------------


def test_training_path_from_start_to_cleared(
    manager: Any, trainee: Any, mentor: Any, service: Any, sku: Any
) -> None:
    cat = catalog()
    order = delivered_order([(sku, 1, "99.00")])
    buyer: Any = order.customer

    onboarding = start(manager, trainee, mentor_id=mentor.pk)
    assert onboarding.state == TrainingState.FAMILIARIZATION
    assert onboarding.audience == ScriptAudience.AFTERSALES
    assert onboarding.started_on == date(2026, 11, 18)
    # Day 1 is the start day: two working days end on Thursday.
    assert onboarding.familiarization_due == date(2026, 11, 19)
    # Only products with a listed SKU are on the reading list.
    read = set(onboarding.readings.values_list("product_id", flat=True))
    assert read == {p.pk for p in cat.products} | {sku.product_id}
    assert cat.unlisted.pk not in read
    assert cat.delisted.pk not in read
    assert Notification.objects.filter(recipient=trainee, url=onboarding.get_absolute_url())

    # While in training the trainee does not answer customers.
    with pytest.raises(PermissionDeniedError, match="still in training"):
        open_return(order, trainee)
    with pytest.raises(PermissionDeniedError, match="still in training"):
        case_services.case_open(
            customer_id=buyer.pk, category="quality", problem="不加热", by=trainee
        )
    callback = case_services.callback_schedule(
        customer_id=buyer.pk,
        purpose="回访使用情况",
        scheduled_at=timezone.now() + timedelta(hours=1),
        owner_id=trainee.pk,
        by=service,
    )
    with pytest.raises(PermissionDeniedError, match="still in training"):
        case_services.callback_record(
            callback_id=callback.pk, outcome="satisfied", note="", by=trainee
        )

    # Reading: someone else cannot tick for the trainee, not even the mentor or a manager.
    first = onboarding.readings.order_by("pk").first()
    assert first is not None
    for other in (mentor, manager):
        with pytest.raises(PermissionDeniedError):
            services.reading_tick(
                onboarding_id=onboarding.pk, product_id=first.product_id, by=other
            )
    services.reading_tick(onboarding_id=onboarding.pk, product_id=first.product_id, by=trainee)
    # Ticking twice changes nothing.
    again = services.reading_tick(
        onboarding_id=onboarding.pk, product_id=first.product_id, by=trainee
    )
    first.refresh_from_db()
    assert again.read_at == first.read_at
    onboarding.refresh_from_db()
    assert onboarding.state == TrainingState.FAMILIARIZATION
    with pytest.raises(ConflictError):
        services.quiz_start(onboarding_id=onboarding.pk, by=trainee)
    onboarding = read_all(onboarding, trainee)
    assert onboarding.state == TrainingState.QUIZ
    assert onboarding.readings_finished_at == timezone.now()

    # The quiz, failed: below the pass mark it stays in the quiz stage.
    failed = sit(onboarding, trainee, right=5)
    assert (failed.correct, failed.total, failed.passed) == (5, 10, False)
    onboarding.refresh_from_db()
    assert onboarding.state == TrainingState.QUIZ
    assert Notification.objects.filter(recipient=trainee, title__contains="not passed").exists()

    # The retake asks other questions.
    retake = services.quiz_start(onboarding_id=onboarding.pk, by=trainee)
    assert retake.number == 2
    first_keys = set(failed.questions.values_list("key", flat=True))
    retake_keys = set(retake.questions.values_list("key", flat=True))
    assert len(retake_keys) == 10
    assert not first_keys & retake_keys
    retake = services.quiz_submit(attempt_id=retake.pk, answers=answers(retake), by=trainee)
    assert (retake.correct, retake.total, retake.passed) == (10, 10, True)
    onboarding.refresh_from_db()
    assert onboarding.state == TrainingState.SHARING
    assert onboarding.quiz_passed_at == timezone.now()
    assert Notification.objects.filter(recipient=mentor, title__contains="passed").exists()

    # Sharing sessions: one before the start does not count; clearing waits for two.
    session(service, [trainee, mentor], days_ago=3, topic="上周的分享")
    session(service, [trainee, mentor], topic="退换货话术")
    with pytest.raises(ConflictError, match="1 of 2 sessions attended"):
        services.onboarding_clear(onboarding_id=onboarding.pk, by=manager)
    onboarding.refresh_from_db()
    assert onboarding.state == TrainingState.SHARING
    session(mentor, [trainee], topic="大促预案")
    assert Notification.objects.filter(recipient=mentor, title__contains="can be cleared")

    cleared = services.onboarding_clear(onboarding_id=onboarding.pk, by=manager)
    assert cleared.state == TrainingState.CLEARED
    assert cleared.cleared_by == manager
    assert cleared.cleared_at == timezone.now()
    assert Notification.objects.filter(recipient=trainee, title__contains="cleared").exists()
    # Clearing again changes nothing.
    assert services.onboarding_clear(onboarding_id=onboarding.pk, by=manager).state == "cleared"
    assert states(onboarding) == [
        ("finish_reading", "newbie"),
        ("pass_quiz", "newbie"),
        ("clear", "boss"),
    ]

    # Cleared: the trainee answers customers.
    request = open_return(order, trainee)
    assert request.opened_by == trainee
    case = case_services.case_open(
        customer_id=buyer.pk, category="quality", problem="不加热", by=trainee
    )
    assert case.owner == trainee
    done = case_services.callback_record(
        callback_id=callback.pk, outcome="satisfied", note="满意", by=trainee
    )
    assert done.is_done


def test_staff_without_a_training_and_the_system_are_not_stopped(service: Any) -> None:
    services.require_cleared_for_customers(service)
    services.require_cleared_for_customers(None)


def test_a_withdrawn_training_no_longer_holds_the_trainee_back(manager: Any, trainee: Any) -> None:
    catalog()
    onboarding = start(manager, trainee)
    with pytest.raises(PermissionDeniedError):
        services.require_cleared_for_customers(trainee)
    with pytest.raises(ApplicationError) as exc:
        services.onboarding_withdraw(onboarding_id=onboarding.pk, why=" ", by=manager)
    assert "why" in exc.value.extra["fields"]
    withdrawn = services.onboarding_withdraw(
        onboarding_id=onboarding.pk, why="转岗到仓库", by=manager
    )
    assert withdrawn.state == TrainingState.WITHDRAWN
    assert withdrawn.withdrawn_reason == "转岗到仓库"
    assert withdrawn.withdrawn_by == manager
    services.require_cleared_for_customers(trainee)
    # A withdrawn training cannot be cleared, and withdrawing again changes nothing.
    with pytest.raises(ConflictError):
        services.onboarding_clear(onboarding_id=onboarding.pk, by=manager)
    again = services.onboarding_withdraw(onboarding_id=onboarding.pk, why="再次", by=manager)
    assert again.withdrawn_reason == "转岗到仓库"
    # The trainee may start a new training later.
    assert start(manager, trainee).pk != onboarding.pk


# --- Starting -----------------------------------------------------------------------------


def test_starting_refuses_what_it_cannot_train(manager: Any, trainee: Any, make_user: Any) -> None:
    catalog()
    seller = make_user("sales_rep", username="seller")
    with pytest.raises(ApplicationError) as exc:
        start(manager, seller)
    assert "only service staff" in exc.value.message
    assert "trainee" in exc.value.extra["fields"]

    with pytest.raises(ApplicationError) as exc:
        start(manager, trainee, mentor_id=trainee.pk)
    assert "mentor" in exc.value.extra["fields"]

    with pytest.raises(ApplicationError) as exc:
        start(manager, trainee, started_on=date(2026, 12, 31))
    assert "started_on" in exc.value.extra["fields"]

    start(manager, trainee)
    with pytest.raises(ApplicationError) as exc:
        start(manager, trainee)
    assert "already in a service training" in exc.value.message
    assert "trainee" in exc.value.extra["fields"]
    assert Onboarding.objects.filter(trainee=trainee).count() == 1


def test_pre_sales_wins_for_someone_in_both_service_roles(manager: Any, make_user: Any) -> None:
    catalog()
    both = make_user("presales_service", "aftersales_service", username="both")
    assert start(manager, both).audience == ScriptAudience.PRESALES


def test_a_start_on_a_sunday_counts_from_monday(manager: Any, trainee: Any) -> None:
    catalog()
    onboarding = start(manager, trainee, started_on=date(2026, 11, 22))
    assert onboarding.familiarization_due == date(2026, 11, 24)


def test_nothing_listed_nothing_to_train_on(manager: Any, trainee: Any) -> None:
    with pytest.raises(ConflictError, match="No product is listed"):
        start(manager, trainee)
    assert not Onboarding.objects.exists()


def test_a_product_listed_later_is_not_on_an_earlier_reading_list(
    manager: Any, trainee: Any
) -> None:
    cat = catalog()
    onboarding = start(manager, trainee)
    assert not ProductReading.objects.filter(onboarding=onboarding, product=cat.unlisted)
    with pytest.raises(ApplicationError) as exc:
        services.reading_tick(onboarding_id=onboarding.pk, product_id=cat.unlisted.pk, by=trainee)
    assert "product" in exc.value.extra["fields"]


# --- Permissions per role -----------------------------------------------------------------


@pytest.mark.parametrize("role", ["presales_service", "aftersales_service", "shop_manager"])
def test_only_a_manager_starts_clears_and_withdraws(
    make_user: Any, manager: Any, trainee: Any, mentor: Any, role: str
) -> None:
    catalog()
    other = make_user(role, username="other")
    with pytest.raises(PermissionDeniedError):
        start(other, trainee)
    onboarding = in_sharing(manager, trainee)
    session(mentor, [trainee], topic="一")
    session(mentor, [trainee], topic="二")
    with pytest.raises(PermissionDeniedError):
        services.onboarding_clear(onboarding_id=onboarding.pk, by=other)
    with pytest.raises(PermissionDeniedError):
        services.onboarding_withdraw(onboarding_id=onboarding.pk, why="离职", by=other)
    onboarding.refresh_from_db()
    assert onboarding.state == TrainingState.SHARING


def test_only_the_trainee_takes_their_quiz(
    manager: Any, trainee: Any, mentor: Any, make_user: Any
) -> None:
    catalog()
    onboarding = read_all(start(manager, trainee), trainee)
    with pytest.raises(PermissionDeniedError):
        services.quiz_start(onboarding_id=onboarding.pk, by=mentor)
    attempt = services.quiz_start(onboarding_id=onboarding.pk, by=trainee)
    for other in (mentor, manager):
        with pytest.raises(PermissionDeniedError):
            services.quiz_submit(attempt_id=attempt.pk, answers=answers(attempt), by=other)
    attempt.refresh_from_db()
    assert not attempt.is_submitted


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        ("presales_service", True),
        ("aftersales_service", True),
        ("manager", True),
        ("sales_rep", False),
        ("warehouse_admin", False),
    ],
)
def test_service_staff_and_managers_record_sharing_sessions(
    make_user: Any, trainee: Any, role: str, allowed: bool
) -> None:
    user = make_user(role, username="recorder")
    if allowed:
        recorded = session(user, [trainee])
        assert list(recorded.attendees.all()) == [trainee]
        assert recorded.recorded_by == user
    else:
        with pytest.raises(PermissionDeniedError):
            session(user, [trainee])


def test_a_session_needs_a_past_day_a_topic_and_attendees(
    mentor: Any, trainee: Any, make_user: Any
) -> None:
    with pytest.raises(ApplicationError) as exc:
        services.sharing_session_record(
            held_on=timezone.localdate() + timedelta(days=1),
            topic=" ",
            attendee_ids=[],
            by=mentor,
        )
    assert set(exc.value.extra["fields"]) == {"held_on", "topic", "attendees"}
    gone = make_user("aftersales_service", username="gone", is_active=False)
    with pytest.raises(ApplicationError) as exc:
        services.sharing_session_record(
            held_on=timezone.localdate(),
            topic="话术",
            attendee_ids=[trainee.pk, gone.pk],
            by=mentor,
        )
    assert "attendees" in exc.value.extra["fields"]


def test_correcting_a_session_updates_who_attended(manager: Any, trainee: Any, mentor: Any) -> None:
    catalog()
    onboarding = in_sharing(manager, trainee)
    first = session(mentor, [mentor], topic="一")
    session(mentor, [trainee], topic="二")
    assert attended(onboarding) == 1
    services.sharing_session_update(
        session_id=first.pk,
        held_on=first.held_on,
        topic="一（补记）",
        attendee_ids=[mentor.pk, trainee.pk],
        by=mentor,
    )
    assert attended(onboarding) == 2
    first.refresh_from_db()
    assert first.topic == "一（补记）"
    cleared = services.onboarding_clear(onboarding_id=onboarding.pk, by=manager)
    assert cleared.state == TrainingState.CLEARED
