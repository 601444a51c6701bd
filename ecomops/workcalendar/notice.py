"""Reading the State Council's holiday notice (国务院办公厅关于 YYYY 年部分节假日安排的通知).

The packaged calendar (``chinesecalendar``) reaches a new year only after a release; the
notice itself is published each November. Managers paste its text as published, e.g.::

    一、元旦：1月1日（周四）至3日（周六）放假调休，共3天。1月4日（周日）上班。

and ``parse_notice`` reads the holidays and make-up working days it declares. The parser is
strict where a mistake would silently move a working day: a numbered item with no date it
can read, a weekday annotation that does not match the date (the wrong year), a range whose
length differs from its "共N天", or a day declared twice are refused with the line named.
Pure functions, no database: the services build the preview and the apply on top of it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

from django.utils.translation import gettext as _

from ecomops.errors import ApplicationError

WEEKDAYS_ZH = "一二三四五六日"
_NUMERALS = "一二三四五六七八九十"
# Words of a festival heading; an unnumbered "名称：" line counts as an item only with one.
_FESTIVAL_WORDS = ("元旦", "春节", "清明", "劳动节", "端午", "中秋", "国庆", "纪念日")

_TITLE_RE = re.compile(r"国务院办公厅关于(\d{4})年部分节假日安排的通知")
_BODY_YEAR_RE = re.compile(r"现将(\d{4})年(?:元旦|春节|清明)")
_DOC_NUMBER_RE = re.compile(r"国办发明电[\u3014\[(【](\d{4})[\u3015\])】](\d{1,3})号")
_ITEM_RE = re.compile(
    rf"^(?:(?P<number>[{_NUMERALS}]{{1,3}})[、.,])?(?P<name>[^:\d]{{1,40}}?):(?P<body>.*)$"
)
_NUMBERED_NO_COLON_RE = re.compile(rf"^(?P<number>[{_NUMERALS}]{{1,3}})[、.,](?P<rest>.*)$")
# Break a pasted paragraph before each "二、…" item so each item is read on its own.
_ITEM_START_RE = re.compile(rf"(?<=[。.;])\s*(?=[{_NUMERALS}]{{1,3}}、)")
_TOKEN_RE = re.compile(
    r"(?P<date>(?:(?P<y>\d{4})年)?(?:(?P<m>\d{1,2})月)?(?P<d>\d{1,2})[日号])"
    r"(?:\((?P<note>[^()]*)\))?"
    r"|(?P<range>至|到|~|—|–|-)"
    r"|(?P<off>放假|休假|休息)"
    r"|(?P<work>上班|补班)"
    r"|共(?P<count>\d{1,3})天"
)
_WEEKDAY_RE = re.compile(r"(?:周|星期|礼拜)([一二三四五六日天])")


class NoticeError(ApplicationError):
    """The pasted notice cannot be read; ``extra["line"]`` is the line at fault, if one is."""


@dataclass(frozen=True)
class NoticeHoliday:
    """One holiday span of the notice, e.g. 春节 2026-02-15 to 2026-02-23."""

    name: str
    first: date
    last: date
    line: int

    @property
    def days(self) -> list[date]:
        return [self.first + timedelta(days=n) for n in range((self.last - self.first).days + 1)]


@dataclass(frozen=True)
class NoticeWorkday:
    """A make-up working day (调休上班) the notice declares, with the holiday it belongs to."""

    name: str
    date: date
    line: int


@dataclass(frozen=True)
class ParsedNotice:
    year: int
    title: str
    holidays: tuple[NoticeHoliday, ...]
    workdays: tuple[NoticeWorkday, ...]

    def holiday_dates(self) -> dict[date, str]:
        """Every day off the notice declares, with its holiday's name."""
        return {day: item.name for item in self.holidays for day in item.days}

    def workday_dates(self) -> dict[date, str]:
        """Every make-up working day, with the name of the holiday it makes up for."""
        return {item.date: item.name for item in self.workdays}


@dataclass
class _Line:
    number: int
    original: str
    text: str  # NFKC-normalised, whitespace removed


def _quote(text: str, limit: int = 80) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _line_error(line: _Line, message: str) -> NoticeError:
    return NoticeError(
        _("Line %(line)s of the notice: %(problem)s “%(text)s”")
        % {"line": line.number, "problem": message, "text": _quote(line.original)},
        {"line": line.number},
    )


def _lines(text: str) -> Iterator[_Line]:
    for number, original in enumerate(text.splitlines(), start=1):
        normal = re.sub(r"\s+", "", unicodedata.normalize("NFKC", original))
        for part in _ITEM_START_RE.split(normal):
            if part:
                yield _Line(number, original, part)


def _find_year(text: str, year: int | None) -> tuple[int, str]:
    """The notice's year and title: from the title (even broken over lines), else the
    "现将YYYY年元旦…" sentence, else the caller's ``year``; a disagreement is refused."""
    compact = re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))
    title = _TITLE_RE.search(compact)
    found = int(title.group(1)) if title else None
    if found is None and (body := _BODY_YEAR_RE.search(compact)):
        found = int(body.group(1))
    if found is not None and year is not None and found != year:
        raise NoticeError(
            _("The notice is for %(found)s, not %(year)s.") % {"found": found, "year": year}
        )
    chosen = found if found is not None else year
    if chosen is None:
        raise NoticeError(
            _(
                "The notice names no year: paste it with its title "
                "(国务院办公厅关于…年部分节假日安排的通知) or give the year."
            )
        )
    name = f"国务院办公厅关于{chosen}年部分节假日安排的通知"
    if number := _DOC_NUMBER_RE.search(compact):
        name += f"（国办发明电\u3014{number.group(1)}\u3015{number.group(2)}号）"
    return chosen, name


def _item(line: _Line) -> tuple[str, str] | None:
    """(name, body) when the line is an item of the arrangement, else None (prose)."""
    match = _ITEM_RE.match(line.text)
    if match:
        name = match.group("name")
        if match.group("number") or any(word in name for word in _FESTIVAL_WORDS):
            return name, match.group("body")
        return None
    numbered = _NUMBERED_NO_COLON_RE.match(line.text)
    if numbered:
        rest = numbered.group("rest")
        cut = re.search(r"\d", rest)
        return (rest[: cut.start()], rest[cut.start() :]) if cut else (rest, "")
    return None


class _ItemReader:
    """Reads one item's body sentence by sentence: dates (and ranges) wait for the word that
    says what they are, 放假 (off) or 上班 (working)."""

    def __init__(self, line: _Line, name: str, year: int) -> None:
        self.line, self.name, self.year = line, name, year
        self.holidays: list[NoticeHoliday] = []
        self.workdays: list[NoticeWorkday] = []
        self.last_month: int | None = None
        self.last_year = year

    def _date(self, match: re.Match[str]) -> tuple[date, bool]:
        explicit_year = match.group("y") is not None
        year = int(match.group("y")) if explicit_year else self.last_year
        if match.group("m") is not None:
            month = int(match.group("m"))
        elif self.last_month is not None:
            month = self.last_month
        else:
            raise _line_error(
                self.line,
                _("%(day)s has no month.") % {"day": match.group("date")},
            )
        try:
            day = date(year, month, int(match.group("d")))
        except ValueError:
            raise _line_error(
                self.line,
                _("%(day)s is not a date in %(year)s.")
                % {"day": match.group("date"), "year": year},
            ) from None
        self.last_month = month
        self.last_year = year if explicit_year else self.last_year
        return day, explicit_year

    def _check_weekday(self, day: date, note: str | None) -> None:
        said = _WEEKDAY_RE.search(note or "")
        if said is None:
            return
        written = "日" if said.group(1) == "天" else said.group(1)
        actual = WEEKDAYS_ZH[day.weekday()]
        if written != actual:
            raise _line_error(
                self.line,
                _("%(day)s is a 周%(actual)s, the notice says 周%(written)s.")
                % {"day": f"{day:%Y-%m-%d}", "actual": actual, "written": written},
            )

    def read(self, body: str) -> None:
        """Sentence by sentence, skipping encouragement (鼓励…: not an arrangement); once the
        item has its dates, a sentence with none ends it, so the closing paragraph and the
        signature's date of a notice pasted as one paragraph are not read as the item."""
        for sentence in re.split(r"[。;]", body):
            if not sentence or "鼓励" in sentence:
                continue
            has_date = any(token.group("date") for token in _TOKEN_RE.finditer(sentence))
            if not has_date and (self.holidays or self.workdays):
                return
            self._sentence(sentence)

    def _sentence(self, sentence: str) -> None:
        # Each pending span: first day, last day and their weekday annotations, checked once
        # the span is whole (a "12月31日至1月2日" start belongs to the year before).
        pending: list[list[tuple[date, str | None]]] = []
        in_range = False
        days_off = 0
        for token in _TOKEN_RE.finditer(sentence):
            if token.group("date"):
                day, explicit = self._date(token)
                if in_range and pending:
                    first, first_note = pending[-1][0]
                    if day < first and first.month == 12 and day.month == 1 and not explicit:
                        if first.year == self.year:
                            first = first.replace(year=self.year - 1)
                        else:
                            day = day.replace(year=first.year + 1)
                    if day < first:
                        raise _line_error(self.line, _("the range ends before it starts."))
                    pending[-1] = [(first, first_note), (day, token.group("note"))]
                else:
                    pending.append([(day, token.group("note"))])
                in_range = False
            elif token.group("range"):
                in_range = bool(pending)
            elif token.group("off") or token.group("work"):
                for span in pending:
                    for day, note in span:
                        self._check_weekday(day, note)
                    first, last = span[0][0], span[-1][0]
                    if token.group("off"):
                        self.holidays.append(
                            NoticeHoliday(self.name, first, last, self.line.number)
                        )
                        days_off += (last - first).days + 1
                    else:
                        for n in range((last - first).days + 1):
                            self.workdays.append(
                                NoticeWorkday(
                                    self.name, first + timedelta(days=n), self.line.number
                                )
                            )
                pending = []
            elif token.group("count") and days_off:
                said = int(token.group("count"))
                if days_off != said:
                    raise _line_error(
                        self.line,
                        _("the dates give %(days)s days off, the notice says 共%(said)s天.")
                        % {"days": days_off, "said": said},
                    )
        if pending:
            raise _line_error(self.line, _("the dates are followed by neither 放假 nor 上班."))


def parse_notice(text: str, year: int | None = None) -> ParsedNotice:
    """The holidays and make-up working days a State Council notice declares.

    ``year`` is needed only when the pasted text lacks its title; when both are there they
    must agree. Raises ``NoticeError`` naming the line that cannot be read.
    """
    notice_year, title = _find_year(text, year)
    holidays: list[NoticeHoliday] = []
    workdays: list[NoticeWorkday] = []
    seen: dict[date, int] = {}
    for line in _lines(text):
        item = _item(line)
        if item is None:
            continue
        name, body = item
        name = name.strip("、,.")
        reader = _ItemReader(line, name, notice_year)
        reader.read(body)
        if not reader.holidays and not reader.workdays:
            raise _line_error(line, _("it names a holiday but gives no date that can be read."))
        for day in [d for h in reader.holidays for d in h.days] + [w.date for w in reader.workdays]:
            if day in seen:
                raise _line_error(
                    line,
                    _("%(day)s is declared twice (first on line %(first)s).")
                    % {"day": f"{day:%Y-%m-%d}", "first": seen[day]},
                )
            seen[day] = line.number
        holidays.extend(reader.holidays)
        workdays.extend(reader.workdays)
    if not holidays:
        raise NoticeError(
            _("No holidays found in the notice: paste its numbered items (一、元旦：…).")
        )
    return ParsedNotice(
        year=notice_year,
        title=title,
        holidays=tuple(holidays),
        workdays=tuple(sorted(workdays, key=lambda w: w.date)),
    )
