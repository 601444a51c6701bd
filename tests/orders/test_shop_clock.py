"""The platform's review time is counted in working days: the SLA clock's due time and the
page's countdown and bar skip the National Day holiday and Sundays, and count the adjusted
working Saturday (2026: 25–27 Sep and 1–7 Oct off, Sat 10 Oct worked)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
import time_machine

from ecomops.sla.selectors import clocks_for
from orders.models import OpeningState
from orders.selectors import SHOP_APPROVAL_CLOCK, shop_review_progress
from orders.services import shop_review_pass, shop_review_reject
from tests.orders.factories import step_id, submitted
from tests.timeutil import at

SUBMITTED = at(2026, 9, 28, 10)  # a Monday

pytestmark = [pytest.mark.django_db, pytest.mark.clock(SUBMITTED)]


@pytest.fixture
def opening(make_user: Any) -> Any:
    """Submitted to Tmall (20 working days) on Monday 28 September 2026 at 10:00."""
    return submitted(make_user("shop_manager", username="shopmgr"))


def test_the_answer_is_due_twenty_working_days_later_across_national_day(opening: Any) -> None:
    # Working days after Mon 28 Sep: 29, 30 Sep; (1–7 Oct off) 8, 9, 10 (Sat, worked),
    # 12–17, 19–24, 26, 27, 28 Oct (Sundays off): the 20th is Wed 28 Oct.
    assert opening.review_due_on == date(2026, 10, 28)
    clock = clocks_for(opening).get()
    assert clock.policy.code == SHOP_APPROVAL_CLOCK
    assert clock.started_at == SUBMITTED
    assert clock.due_at == at(2026, 10, 28, 18)
    assert clock.owner_role == "shop_manager"


@pytest.mark.parametrize(
    ("today", "elapsed", "remaining", "percent", "overdue"),
    [
        (date(2026, 9, 28), 0, 20, 0, False),  # the day of the submission
        (date(2026, 10, 3), 2, 18, 10, False),  # inside the holiday: the count stands still
        (date(2026, 10, 7), 2, 18, 10, False),  # last day of the holiday
        (date(2026, 10, 10), 5, 15, 25, False),  # the adjusted working Saturday counts
        (date(2026, 10, 11), 5, 15, 25, False),  # a Sunday does not
        (date(2026, 10, 12), 6, 14, 30, False),
        (date(2026, 10, 28), 20, 0, 100, False),  # due today (at closing)
        (date(2026, 10, 30), 20, -2, 100, True),  # two working days overdue, bar full
    ],
)
def test_countdown_and_bar_count_working_days(
    opening: Any, today: date, elapsed: int, remaining: int, percent: int, overdue: bool
) -> None:
    progress = shop_review_progress(opening, today=today)
    assert progress is not None
    assert progress.submitted_on == date(2026, 9, 28)
    assert progress.due_on == date(2026, 10, 28)
    assert progress.total_days == 20
    assert (progress.elapsed_days, progress.remaining_days) == (elapsed, remaining)
    assert (progress.percent, progress.overdue) == (percent, overdue)
    assert progress.overdue_days == (2 if overdue else 0)


def test_the_clock_is_met_when_the_platform_answers_in_time(opening: Any) -> None:
    manager = opening.owner
    with time_machine.travel(at(2026, 10, 27, 16), tick=False):
        for code in ("alipay_verification", "first_review", "second_review", "brand_confirmed"):
            shop_review_pass(opening_id=opening.pk, step_id=step_id(opening, code), by=manager)
    opening.refresh_from_db()
    assert opening.state == OpeningState.SETTING_UP
    clock = clocks_for(opening).get()
    assert clock.met
    assert shop_review_progress(opening) is None  # no countdown once approved


def test_a_late_answer_misses_the_clock_and_a_resubmission_starts_afresh(opening: Any) -> None:
    manager = opening.owner
    with time_machine.travel(at(2026, 10, 29, 11), tick=False):
        shop_review_reject(
            opening_id=opening.pk,
            step_id=step_id(opening, "alipay_verification"),
            reason="对公账户名称与营业执照不一致",
            by=manager,
        )
    first = clocks_for(opening).get()
    assert first.stopped_at == at(2026, 10, 29, 11)
    assert not first.met
    assert first.breached_at == first.due_at


def test_the_list_shows_days_left_during_the_holiday(
    opening: Any, client: Any, clock: time_machine.Traveller
) -> None:
    clock.move_to(at(2026, 10, 3, 12))
    client.force_login(opening.owner)
    page = client.get("/orders/shops/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "18 working days left" in page
    assert '<progress max="100" value="10"' in page
    assert "2 of 20 working days" in page
    assert "due 2026-10-28" in page
    clock.move_to(at(2026, 10, 30, 9))
    client.force_login(opening.owner)  # four weeks on: the first session has run out
    page = client.get("/orders/shops/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Overdue by 2 working days" in page
    assert 'class="is-late"' in page
