"""Next year's calendar from the State Council notice (issue 25 §4): the parser on the real
2025 and 2026 notices as published, a broken one, and the preview and apply over the
Monday–Saturday week, through the service and the admin screen."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from chinese_calendar import constants
from django.urls import reverse

from ecomops.calendar import is_working_day
from ecomops.errors import PermissionDeniedError
from ecomops.workcalendar.models import DaySource, WorkCalendarDay
from ecomops.workcalendar.notice import NoticeError, parse_notice
from ecomops.workcalendar.services import (
    HOLIDAY_NAMES_ZH,
    calendar_notice_apply,
    calendar_notice_preview,
)

SAMPLES = Path(__file__).parent / "samples" / "notices"
HALF_WIDTH = str.maketrans("：（），；", ":(),;")


def notice_text(year: int) -> str:
    return (SAMPLES / f"{year}.txt").read_text(encoding="utf-8")


def package_days(table: dict[date, Any], year: int) -> dict[date, str]:
    return {day: HOLIDAY_NAMES_ZH[str(name)] for day, name in table.items() if day.year == year}


def line_of(text: str, needle: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), start=1) if needle in line)


# The parser ---------------------------------------------------------------------------


@pytest.mark.parametrize("year", [2025, 2026])
@pytest.mark.parametrize(
    "form",
    [
        pytest.param(lambda text: text, id="as-published"),
        pytest.param(lambda text: text.translate(HALF_WIDTH), id="half-width"),
        pytest.param(lambda text: "".join(text.split()), id="one-paragraph"),
    ],
)
def test_real_notice_gives_the_package_calendar(year, form):
    notice = parse_notice(form(notice_text(year)))

    assert notice.year == year
    assert notice.title.startswith(f"国务院办公厅关于{year}年部分节假日安排的通知")
    holidays = notice.holiday_dates()
    workdays = notice.workday_dates()
    assert set(holidays) == set(package_days(constants.holidays, year))
    assert set(workdays) == set(package_days(constants.workdays, year))
    # The names agree too ("国庆节、中秋节" covers the package's 中秋节 of 2025-10-06).
    for day, name in package_days(constants.holidays, year).items():
        assert name in holidays[day], day
    for day, name in package_days(constants.workdays, year).items():
        assert name in workdays[day], day


def test_document_number_joins_the_title():
    assert parse_notice(notice_text(2026)).title == (
        "国务院办公厅关于2026年部分节假日安排的通知（国办发明电\u30142025\u30157号）"
    )


def test_broken_notice_names_the_line():
    text = notice_text(2026).replace(
        "三、清明节：4月4日（周六）至6日（周一）放假，共3天。", "三、清明节：放假安排另行通知。"
    )
    line = line_of(text, "三、清明节")

    with pytest.raises(NoticeError) as refused:
        parse_notice(text)

    message = str(refused.value)
    assert f"Line {line} " in message or f"第 {line} 行" in message or f"第{line}行" in message
    assert "三、清明节：放假安排另行通知。" in message
    assert refused.value.extra == {"line": line}


def test_without_a_title_the_year_must_be_given():
    items = notice_text(2026).split("如下。", 1)[1]

    with pytest.raises(NoticeError):
        parse_notice(items)
    assert set(parse_notice(items, 2026).holiday_dates()) == set(
        parse_notice(notice_text(2026)).holiday_dates()
    )


def test_a_year_that_disagrees_with_the_title_is_refused():
    with pytest.raises(NoticeError, match="2026"):
        parse_notice(notice_text(2026), 2027)


def test_the_wrong_year_shows_in_the_weekdays():
    """The items of 2026 read as 2027: 1 January 2027 is a Friday, not 周四."""
    items = notice_text(2026).split("如下。", 1)[1]
    with pytest.raises(NoticeError) as refused:
        parse_notice(items, 2027)
    assert "一、元旦" in str(refused.value)


def test_a_span_that_disagrees_with_its_day_count_is_refused():
    text = notice_text(2026).replace("至7日（周三）放假调休，共7天", "至7日（周三）放假调休，共8天")
    with pytest.raises(NoticeError) as refused:
        parse_notice(text)
    assert refused.value.extra["line"] == line_of(text, "七、国庆节")


def test_dates_without_放假_or_上班_are_refused():
    text = notice_text(2026).replace("5月9日（周六）上班", "5月9日（周六）")
    with pytest.raises(NoticeError) as refused:
        parse_notice(text)
    assert refused.value.extra["line"] == line_of(text, "四、劳动节")


def test_a_range_across_the_new_year():
    """Older notices: 元旦 from 31 December of the year before, with its make-up day."""
    notice = parse_notice(
        "国务院办公厅关于2023年部分节假日安排的通知\n"
        "一、元旦：12月31日（星期六）至1月2日（星期一）放假调休，共3天。\n"
        "二、春节：1月21日至27日放假调休，共7天。1月28日（星期六）、1月29日（星期日）上班。\n"
    )
    assert sorted(notice.holiday_dates())[:3] == [
        date(2022, 12, 31),
        date(2023, 1, 1),
        date(2023, 1, 2),
    ]
    assert sorted(notice.workday_dates()) == [date(2023, 1, 28), date(2023, 1, 29)]
    explicit = parse_notice(
        "国务院办公厅关于2012年部分节假日安排的通知\n"
        "一、元旦：2012年1月1日至3日放假调休，共3天。2011年12月31日（星期六）上班。\n"
    )
    assert sorted(explicit.workday_dates()) == [date(2011, 12, 31)]


# The preview and the apply ------------------------------------------------------------


@pytest.mark.django_db
def test_preview_lays_the_notice_over_monday_to_saturday():
    preview = calendar_notice_preview(text=notice_text(2026))

    by_day = {day.date: day for day in preview.days}
    assert len(preview.holidays) == 33
    assert len(preview.workdays) == 6
    assert by_day[date(2026, 1, 3)].differs_from_week  # a Saturday off: normally worked
    assert by_day[date(2026, 1, 4)].differs_from_week  # a Sunday worked
    assert not by_day[date(2026, 2, 14)].differs_from_week  # a make-up Saturday: worked anyway
    assert not by_day[date(2026, 2, 15)].differs_from_week  # a Sunday off: off anyway
    # The package loaded the same days: applying only records the notice as their source.
    assert preview.rows_to_write == 39
    assert not any(day.changes_calendar for day in preview.days)
    assert WorkCalendarDay.objects.filter(source=DaySource.NOTICE).count() == 0


@pytest.mark.django_db
def test_apply_fills_an_uncovered_year(make_user, django_capture_on_commit_callbacks):
    manager = make_user("manager")
    WorkCalendarDay.objects.filter(date__year=2026).delete()
    assert is_working_day(date(2026, 1, 3)) is True  # Monday–Saturday fallback
    preview = calendar_notice_preview(text=notice_text(2026))
    assert preview.new_week_days == 365 - 39
    assert all(day.current_working is None for day in preview.days)

    with django_capture_on_commit_callbacks(execute=True):
        applied = calendar_notice_apply(text=notice_text(2026), by=manager)

    assert applied.rows_to_write == 365
    assert WorkCalendarDay.objects.filter(date__year=2026).count() == 365
    assert is_working_day(date(2026, 1, 3)) is False
    assert is_working_day(date(2026, 1, 4)) is True
    assert is_working_day(date(2026, 11, 21)) is True  # an ordinary Saturday
    assert is_working_day(date(2026, 11, 22)) is False  # an ordinary Sunday
    row = WorkCalendarDay.objects.get(date=date(2026, 10, 10))
    assert (row.is_working_day, row.note, row.source) == (True, "国庆节调休上班", "notice")
    assert row.source_title.startswith("国务院办公厅关于2026年部分节假日安排的通知")
    assert row.applied_by == manager
    assert row.applied_at is not None
    plain = WorkCalendarDay.objects.get(date=date(2026, 11, 23))
    assert (plain.source, plain.applied_by) == (DaySource.DEFAULT, None)


@pytest.mark.django_db
def test_apply_keeps_a_managers_edit_and_resets_what_the_notice_does_not_declare(make_user):
    manager = make_user("manager")
    stocktake = WorkCalendarDay.objects.get(date=date(2026, 11, 24))
    stocktake.is_working_day, stocktake.note, stocktake.source = False, "盘点停工", "manual"
    stocktake.save()
    stale = WorkCalendarDay.objects.get(date=date(2026, 12, 1))
    stale.is_working_day, stale.note, stale.source = False, "旧通知", DaySource.NOTICE
    stale.save()

    preview = calendar_notice_preview(text=notice_text(2026))
    shown = {day.date: day for day in preview.days}
    assert shown[date(2026, 11, 24)].kept
    assert shown[date(2026, 12, 1)].changes_calendar

    applied = calendar_notice_apply(text=notice_text(2026), by=manager)

    assert applied.rows_to_write == 40
    stocktake.refresh_from_db()
    stale.refresh_from_db()
    assert (stocktake.is_working_day, stocktake.source) == (False, DaySource.MANUAL)
    assert (stale.is_working_day, stale.note, stale.source) == (True, "", DaySource.DEFAULT)
    again = calendar_notice_apply(text=notice_text(2026), by=manager)
    assert again.rows_to_write == 0


@pytest.mark.django_db
def test_only_a_manager_applies_a_notice(make_user):
    with pytest.raises(PermissionDeniedError):
        calendar_notice_apply(text=notice_text(2026), by=make_user("picker"))
    assert not WorkCalendarDay.objects.filter(source=DaySource.NOTICE).exists()


@pytest.mark.django_db
def test_package_sync_leaves_notice_days_alone(make_user):
    from ecomops.workcalendar.services import calendar_sync_year

    calendar_notice_apply(text=notice_text(2026), by=make_user("manager"))
    assert calendar_sync_year(year=2026) == 0
    assert WorkCalendarDay.objects.filter(source=DaySource.NOTICE).count() == 39


# The admin screen ----------------------------------------------------------------------

NOTICE_URL = "admin:workcalendar_workcalendarday_notice"
APPLY_URL = "admin:workcalendar_workcalendarday_notice_apply"


@pytest.mark.django_db
def test_manager_previews_and_applies_in_the_admin(client, make_user):
    manager = make_user("manager")
    client.force_login(manager)
    changelist = client.get(reverse("admin:workcalendar_workcalendarday_changelist"))
    assert reverse(NOTICE_URL) in changelist.content.decode()
    assert client.get(reverse(NOTICE_URL)).status_code == 200

    preview = client.post(reverse(NOTICE_URL), {"text": notice_text(2026)})

    page = preview.content.decode()
    assert preview.status_code == 200
    assert 'data-date="2026-01-04"' in page
    assert page.count('data-differs="1"') == sum(
        day.differs_from_week for day in preview.context["preview"].days
    )
    assert reverse(APPLY_URL) in page
    assert not WorkCalendarDay.objects.filter(source=DaySource.NOTICE).exists()

    applied = client.post(reverse(APPLY_URL), {"text": notice_text(2026), "year": ""})

    assert applied.status_code == 302
    assert "date__year=2026" in applied["Location"]
    assert WorkCalendarDay.objects.filter(source=DaySource.NOTICE, applied_by=manager).count() == 39


@pytest.mark.django_db
def test_a_rejected_paste_keeps_the_text_and_shows_the_error(client, make_user):
    client.force_login(make_user("manager"))
    text = notice_text(2026).replace(
        "五、端午节：6月19日（周五）至21日（周日）放假，共3天。", "五、端午节：六月十九日起放假。"
    )

    for url in (NOTICE_URL, APPLY_URL):
        response = client.post(reverse(url), {"text": text})

        page = response.content.decode()
        assert response.status_code == 200
        assert "data-notice-error" in page
        assert "五、端午节：六月十九日起放假。" in page.split("data-notice-error", 1)[1]
        assert response.context["form"]["text"].value() == text
    assert not WorkCalendarDay.objects.filter(source=DaySource.NOTICE).exists()


@pytest.mark.django_db
def test_the_notice_screen_is_refused_to_non_managers(client, make_user):
    client.force_login(make_user("picker"))
    for url in (NOTICE_URL, APPLY_URL):
        response = client.post(reverse(url), {"text": notice_text(2026)})
        assert response.status_code == 302
        assert reverse("admin:login") in response["Location"]
    client.force_login(make_user("picker", is_staff=True))
    for url in (NOTICE_URL, APPLY_URL):
        assert client.post(reverse(url), {"text": notice_text(2026)}).status_code == 403
    assert not WorkCalendarDay.objects.filter(source=DaySource.NOTICE).exists()
