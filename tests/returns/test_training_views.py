"""Service staff onboarding in the portal and the admin: the managers' progress board, a
trainee's track, the quiz form, the sharing sessions, who may see what, and the demo."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from ecomops import demo
from ecomops.notifications.models import Notification
from returns.demo_training import CLEARED_TRAINEE, TRAINEE, seed_training
from returns.models import (
    Onboarding,
    ProductReading,
    QuizAttempt,
    QuizQuestion,
    SharingSession,
    TrainingState,
)
from returns.services import training as services
from tests.returns.training_factories import (
    WEDNESDAY,
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
    return make_user("presales_service", username="xiaoyu", first_name="小雨", last_name="陈")


@pytest.fixture
def mentor(make_user: Any) -> Any:
    return make_user("presales_service", username="lina", first_name="娜", last_name="李")


def url(name: str, *args: Any) -> str:
    return reverse(f"returns:{name}", args=args)


def login(client: Client, user: Any) -> Client:
    client.force_login(user)
    return client


def html(response: Any) -> str:
    return response.content.decode()


def row(page: str, username: str) -> str:
    """The board's row of a trainee."""
    start_at = page.index(f'data-trainee="{username}"')
    return page[start_at : page.index("</tr>", start_at)]


def board_setup(manager: Any, make_user: Any, mentor: Any) -> dict[str, Onboarding]:
    """One trainee mid-track (failed once, passed the retake, 1 of 2 sessions), one behind
    on reading, one cleared."""
    catalog()
    mid = make_user("presales_service", username="mid")
    behind = make_user("aftersales_service", username="behind")
    done = make_user("aftersales_service", username="done")
    tracks = {"mid": read_all(start(manager, mid, mentor_id=mentor.pk), mid)}
    sit(tracks["mid"], mid, right=6)
    sit(tracks["mid"], mid)
    session(mentor, [mid], topic="新品卖点")
    tracks["behind"] = start(manager, behind, started_on=date(2026, 11, 16))
    services.reading_tick(
        onboarding_id=tracks["behind"].pk,
        product_id=tracks["behind"].readings.first().product_id,  # type: ignore[union-attr]
        by=behind,
    )
    tracks["done"] = in_sharing(manager, done)
    session(mentor, [done], topic="售后流程")
    session(mentor, [done], topic="大促准备")
    services.onboarding_clear(onboarding_id=tracks["done"].pk, by=manager)
    return tracks


# --- The board ----------------------------------------------------------------------------


def test_the_board_shows_each_trainees_progress(
    manager: Any, make_user: Any, mentor: Any, client: Client
) -> None:
    board_setup(manager, make_user, mentor)
    page = html(login(client, manager).get(url("training_home")))
    mid = row(page, "mid")
    assert 'data-stage="sharing"' in mid
    assert "4 / 4" in mid  # products read
    assert "best 100%" in mid
    assert "2 attempts" in mid
    assert "1 / 2" in mid  # sessions
    assert "is-late" not in mid
    assert "data-ready" not in mid
    behind = row(page, "behind")
    assert 'class="is-late"' in behind
    assert "behind schedule" in behind
    assert "1 / 4" in behind
    assert "not taken yet" in behind
    done = row(page, "done")
    assert 'data-stage="cleared"' in done
    assert "2 / 2" in done
    assert 'id="behind-count"' in page
    assert 'id="start-form"' in page


def test_the_board_query_count_does_not_grow_with_trainees(
    manager: Any, make_user: Any, mentor: Any, client: Client
) -> None:
    catalog()
    login(client, manager)
    first = make_user("presales_service", username="first")
    start(manager, first)
    client.get(url("training_home"))  # warm the calendar cache
    with CaptureQueriesContext(connection) as one:
        assert client.get(url("training_home")).status_code == 200
    for n in range(3):
        more = make_user("aftersales_service", username=f"more{n}")
        in_sharing(manager, more)
    with CaptureQueriesContext(connection) as four:
        assert client.get(url("training_home")).status_code == 200
    assert len(four) == len(one)


def test_a_manager_starts_a_training_from_the_board(
    manager: Any, trainee: Any, mentor: Any, make_user: Any, client: Client
) -> None:
    catalog()
    login(client, manager)
    response = client.post(
        url("training_start"),
        {"trainee": trainee.pk, "mentor": mentor.pk, "started_on": "2026-11-18"},
    )
    onboarding = Onboarding.objects.get(trainee=trainee)
    assert response.status_code == 302
    assert response["Location"] == onboarding.get_absolute_url()
    assert onboarding.mentor == mentor
    # Refused by the service: the form comes back as typed.
    other = make_user("aftersales_service", username="other")
    response = client.post(url("training_start"), {"trainee": other.pk, "started_on": "2027-03-01"})
    assert response.status_code == 400
    page = html(response)
    assert "at most 30 days ahead" in page
    assert 'value="2027-03-01"' in page
    assert not Onboarding.objects.filter(trainee=other).exists()


# --- Who sees what ----------------------------------------------------------------------


@pytest.mark.parametrize("role", ["sales_rep", "warehouse_admin", "shop_manager"])
def test_the_training_pages_are_not_for_other_departments(
    make_user: Any, manager: Any, trainee: Any, client: Client, role: str
) -> None:
    catalog()
    onboarding = start(manager, trainee)
    login(client, make_user(role, username="outsider"))
    response = client.get(url("training_home"))
    assert response.status_code == 403
    assert "service staff in training and the managers" in html(response)
    assert client.get(url("training_detail", onboarding.pk)).status_code == 403
    assert client.get(url("sharing_sessions")).status_code == 403
    assert client.post(url("training_start"), {"trainee": trainee.pk}).status_code == 403


def test_a_trainee_sees_their_own_track_and_no_one_elses(
    manager: Any, trainee: Any, make_user: Any, client: Client
) -> None:
    catalog()
    own = start(manager, trainee)
    colleague = make_user("aftersales_service", username="colleague")
    theirs = start(manager, colleague)
    login(client, trainee)
    response = client.get(url("training_home"))
    assert response.status_code == 302
    assert response["Location"] == own.get_absolute_url()
    page = html(client.get(url("training_detail", own.pk)))
    assert 'id="readings"' in page
    assert "I have read it" in page
    assert 'id="in-training"' in page
    assert "Clear the trainee" not in page
    response = client.get(url("training_detail", theirs.pk))
    assert response.status_code == 403
    assert "for the trainee, their mentor and the managers" in html(response)
    first = theirs.readings.order_by("pk").first()
    assert first is not None
    response = client.post(url("training_tick", theirs.pk, first.product_id))
    assert response.status_code == 403
    first.refresh_from_db()
    assert not first.is_read


def test_service_staff_without_a_training_are_told_what_it_is(
    make_user: Any, client: Client
) -> None:
    login(client, make_user("aftersales_service", username="veteran"))
    response = client.get(url("training_home"))
    assert response.status_code == 200
    assert 'id="no-training"' in html(response)


def test_the_managers_track_page_has_the_managers_steps(
    manager: Any, trainee: Any, mentor: Any, client: Client
) -> None:
    catalog()
    onboarding = in_sharing(manager, trainee, mentor_id=mentor.pk)
    page = html(login(client, manager).get(url("training_detail", onboarding.pk)))
    assert 'id="clear-form"' in page
    assert 'id="withdraw-form"' in page
    assert "I have read it" not in page
    assert 'data-step="sharing" data-status="current"' in page
    assert 'data-step="quiz" data-status="done"' in page
    # The attempt's answers are shown with the right ones.
    attempt = QuizAttempt.objects.get(onboarding=onboarding)
    assert 'id="attempt-1"' in page
    for question in attempt.questions.all():
        assert escape(question.correct_text) in page


# --- Reading, the quiz and clearing through the pages ----------------------------------


def test_reading_and_the_quiz_through_the_pages(
    manager: Any, trainee: Any, mentor: Any, client: Client
) -> None:
    catalog()
    onboarding = start(manager, trainee, mentor_id=mentor.pk)
    login(client, trainee)
    readings = list(onboarding.readings.order_by("pk"))
    for reading in readings:
        response = client.post(url("training_tick", onboarding.pk, reading.product_id))
        assert response.status_code == 302
        assert response["Location"].endswith(f"#product-{reading.product_id}")
    assert not ProductReading.objects.filter(onboarding=onboarding, read_at__isnull=True)
    onboarding.refresh_from_db()
    assert onboarding.state == TrainingState.QUIZ

    response = client.post(url("training_quiz_start", onboarding.pk))
    attempt = QuizAttempt.objects.get(onboarding=onboarding)
    assert response.status_code == 302
    assert response["Location"] == url("training_quiz", attempt.pk)
    page = html(client.get(response["Location"]))
    questions = list(attempt.questions.order_by("position"))
    for question in questions:
        assert f'name="question_{question.pk}"' in page

    # All but the first answered rightly: refused, and the answers given stay checked.
    data = {f"question_{q.pk}": str(q.correct_choice) for q in questions[1:]}
    response = client.post(url("training_quiz", attempt.pk), data)
    assert response.status_code == 400
    page = html(response)
    assert "Choose an answer." in page
    first_field = page[page.index(f'data-field="question_{questions[0].pk}"') :]
    assert first_field.index("Choose an answer.") < first_field.index("</fieldset>")
    for question in questions[1:]:
        radio = re.search(
            rf'<input[^>]*name="question_{question.pk}"[^>]*value="{question.correct_choice}"'
            rf"[^>]*>",
            page,
        )
        assert radio is not None
        assert "checked" in radio.group(0)
    assert "9 of 10 answered" in page
    assert 'id="quiz-errors"' in page
    attempt.refresh_from_db()
    assert not attempt.is_submitted

    # A manager does not answer it; they are sent to the track.
    manager_client = Client(HTTP_ACCEPT_LANGUAGE="en")
    response = login(manager_client, manager).get(url("training_quiz", attempt.pk))
    assert response.status_code == 302

    data[f"question_{questions[0].pk}"] = str((questions[0].correct_choice + 1) % 4)
    response = client.post(url("training_quiz", attempt.pk), data, follow=True)
    attempt.refresh_from_db()
    assert (attempt.correct, attempt.passed) == (9, True)
    page = html(response)
    assert "Passed: 9 of 10 right" in page
    assert 'id="attempt-1"' in page
    assert 'data-correct="no"' in page
    # Handing it in again is refused.
    response = client.post(url("training_quiz", attempt.pk), data)
    assert response.status_code == 409
    assert "already submitted" in html(response)

    onboarding.refresh_from_db()
    assert onboarding.state == TrainingState.SHARING
    response = manager_client.post(url("training_clear", onboarding.pk))
    assert response.status_code == 409
    assert "0 of 2 sessions attended" in html(response)
    session(mentor, [trainee], topic="一")
    session(mentor, [trainee], topic="二")
    response = manager_client.post(url("training_clear", onboarding.pk))
    assert response.status_code == 302
    onboarding.refresh_from_db()
    assert onboarding.state == TrainingState.CLEARED


def test_a_failed_quiz_offers_a_retake(manager: Any, trainee: Any, client: Client) -> None:
    catalog()
    onboarding = read_all(start(manager, trainee), trainee)
    sit(onboarding, trainee, right=2)
    page = html(login(client, trainee).get(url("training_detail", onboarding.pk)))
    assert "Retake the quiz with new questions" in page
    assert "not passed" in page


def test_withdrawing_needs_a_reason(manager: Any, trainee: Any, client: Client) -> None:
    catalog()
    onboarding = start(manager, trainee)
    login(client, manager)
    response = client.post(url("training_withdraw", onboarding.pk), {"withdraw-why": ""})
    assert response.status_code == 400
    assert "withdraw-form" in html(response)
    response = client.post(url("training_withdraw", onboarding.pk), {"withdraw-why": "离职"})
    assert response.status_code == 302
    onboarding.refresh_from_db()
    assert onboarding.state == TrainingState.WITHDRAWN


# --- Sharing sessions ---------------------------------------------------------------------


def test_service_staff_record_a_session_and_keep_what_they_typed_on_error(
    mentor: Any, trainee: Any, client: Client
) -> None:
    login(client, mentor)
    page = html(client.get(url("sharing_sessions")))
    assert 'id="session-form"' in page
    future = (timezone.localdate() + timedelta(days=2)).isoformat()
    data = {
        "held_on": future,
        "topic": "双十二活动话术",
        "presenter": mentor.pk,
        "attendees": [trainee.pk, mentor.pk],
        "notes": "满减规则",
    }
    response = client.post(url("sharing_sessions"), data)
    assert response.status_code == 400
    page = html(response)
    assert "this day is ahead" in page
    assert 'value="双十二活动话术"' in page
    assert re.search(rf'<option value="{trainee.pk}"[^>]*selected', page)
    data["held_on"] = timezone.localdate().isoformat()
    response = client.post(url("sharing_sessions"), data)
    assert response.status_code == 302
    recorded = SharingSession.objects.get()
    assert set(recorded.attendees.all()) == {trainee, mentor}
    assert recorded.presenter == mentor
    page = html(client.get(url("sharing_sessions")))
    assert "双十二活动话术" in page


def test_the_sessions_list_is_read_only_without_the_permission(
    make_user: Any, mentor: Any, trainee: Any, client: Client
) -> None:
    from django.contrib.auth.models import Permission

    viewer = make_user(username="viewer")
    viewer.user_permissions.add(
        Permission.objects.get(codename="view_sharingsession", content_type__app_label="returns")
    )
    session(mentor, [trainee], topic="只读")
    login(client, viewer)
    page = html(client.get(url("sharing_sessions")))
    assert "只读" in page
    assert 'id="session-form"' not in page
    assert client.post(url("sharing_sessions"), {"topic": "x"}).status_code == 403


# --- Admin ----------------------------------------------------------------------------------


def test_admin_pages_load_and_sessions_are_saved_through_the_service(
    manager: Any, trainee: Any, mentor: Any, client: Client
) -> None:
    catalog()
    onboarding = in_sharing(manager, trainee)
    recorded = session(mentor, [trainee], topic="后台")
    attempt = QuizAttempt.objects.get(onboarding=onboarding)
    login(client, manager)
    pages = [
        reverse("admin:returns_onboarding_changelist"),
        reverse("admin:returns_onboarding_change", args=[onboarding.pk]),
        reverse("admin:returns_quizattempt_changelist"),
        reverse("admin:returns_quizattempt_change", args=[attempt.pk]),
        reverse("admin:returns_sharingsession_changelist"),
        reverse("admin:returns_sharingsession_change", args=[recorded.pk]),
        reverse("admin:returns_sharingsession_add"),
    ]
    for page in pages:
        assert client.get(page).status_code == 200, page
    change = html(client.get(pages[1]))
    assert "withdraw" in change.lower()

    add = reverse("admin:returns_sharingsession_add")
    response = client.post(
        add,
        {
            "held_on": (timezone.localdate() + timedelta(days=1)).isoformat(),
            "topic": "后台补记",
            "attendees": [trainee.pk],
            "notes": "",
        },
    )
    assert response.status_code == 200
    assert "this day is ahead" in html(response)
    response = client.post(
        add,
        {
            "held_on": timezone.localdate().isoformat(),
            "topic": "后台补记",
            "presenter": mentor.pk,
            "attendees": [trainee.pk],
            "notes": "",
        },
    )
    assert response.status_code == 302
    saved = SharingSession.objects.get(topic="后台补记")
    assert saved.recorded_by == manager
    assert list(saved.attendees.all()) == [trainee]
    # Two sessions now: the trainee's mentor-less training tells the manager who started it.
    assert Notification.objects.filter(recipient=manager, title__contains="can be cleared")


# --- Demo ---------------------------------------------------------------------------------


def counts() -> tuple[int, ...]:
    return (
        Onboarding.objects.count(),
        ProductReading.objects.count(),
        QuizAttempt.objects.count(),
        QuizQuestion.objects.count(),
        SharingSession.objects.count(),
        Notification.objects.count(),
    )


def test_demo_is_idempotent_and_shows_a_trainee_mid_track() -> None:
    lines: list[str] = []
    demo.seed_users(lines.append)
    catalog()
    seed_training(lines.append)
    first = counts()
    mid = Onboarding.objects.get(trainee__username=TRAINEE)
    assert mid.state == TrainingState.SHARING
    assert (mid.trainee.last_name, mid.trainee.first_name) == ("陈", "小雨")
    assert not mid.readings.filter(read_at__isnull=True).exists()
    attempts = list(mid.attempts.order_by("number"))
    assert [(a.correct, a.total, a.passed) for a in attempts] == [(6, 10, False), (10, 10, True)]
    assert mid.attended_sessions().count() == 1
    assert SharingSession.objects.count() == 2
    cleared = Onboarding.objects.get(trainee__username=CLEARED_TRAINEE)
    assert cleared.state == TrainingState.CLEARED
    assert mid.trainee.check_password(demo.DEMO_PASSWORD)
    seed_training(lines.append)
    assert counts() == first
    assert "returns_training" in {s.name for s in demo.seeders()}
