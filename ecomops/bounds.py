"""Input bounds: how large, how deep, how far in time anything sent to us may be (issue 23 §5).

One place for the limits every API field and form uses, so a quantity, an amount, a date or
a text is refused with the same words wherever it comes in, before any business check runs
and long before the database could choke on it (PostgreSQL refuses a NUL in text and an
integer of 2³¹; SQLite stores anything). docs/reliability.md "Input bounds" lists them.

- ``QUANTITY_MAX``: units on one line (an ``OrderLine.quantity`` is a 32-bit integer).
- ``UNIT_PRICE_MAX`` / ``MONEY_MAX``: a unit price, and any other amount; both fen exact
  (two decimal places) and finite. A line at the largest price and quantity still fits an
  amount column (``MoneyField``: 14 digits).
- ``moment_window()``: a date and time sent to us lies between ``MOMENT_PAST`` before now
  and ``MOMENT_FUTURE`` after it (year 8297 is a typo or an attack, never a payment);
  ``plan_window()``: one planned ahead, up to ``PLAN_FUTURE``.
- ``COUNT_MAX``, ``ID_MAX``, ``SEARCH_MAX_LENGTH``, ``TEXT_MAX_LENGTH``: any other count, a
  row's id, a search box, a free text; the ``form_*`` helpers and ``bounded_formfield`` (for
  a ``ModelForm``) declare them, ``BoundedFileField`` an upload's size.
- ``JSON_MAX_DEPTH``: nesting of a JSON body; ``API_MAX_BODY_BYTES`` and
  ``DATA_UPLOAD_MAX_MEMORY_SIZE`` (settings): the size of one signed request and of a page.
- ``strip_nul``: what a search box does with a NUL character (drops it).
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from decimal import Decimal
from io import BytesIO
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, QueryDict
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from .validators import MAX_MONEY

QUANTITY_MAX = 99_999
UNIT_PRICE_MAX = Decimal("9999999.99")
MONEY_MAX = MAX_MONEY
MONEY_DECIMAL_PLACES = 2
# Digits a price or an amount may have in all (12 + 2 places: a MoneyField).
MONEY_MAX_DIGITS = 14
UNIT_PRICE_MAX_DIGITS = 9

MOMENT_PAST = timedelta(days=5 * 366)
MOMENT_FUTURE = timedelta(days=1)
# A day or a time planned ahead (a campaign, an authorization's end, a document's expiry, a
# callback): a Chinese ID card or a trademark runs 10 to 20 years, nothing we plan runs longer.
PLAN_FUTURE = timedelta(days=20 * 366)

# Other counts typed in a form (a month's sales in units, a target): far above any real one,
# far below a 32-bit column.
COUNT_MAX = 99_999_999
# A row's id sent back by a form (a hidden field): the id column is a 64-bit integer.
ID_MAX = 2**63 - 1
# What a search box, a filter, takes.
SEARCH_MAX_LENGTH = 100

JSON_MAX_DEPTH = 16
# Items one request may carry in any list (lines of an order; pages have their own cap).
LIST_MAX_ITEMS = 500

# A text field without its own limit (free notes, a reason) is refused beyond this; a long
# text (a detail page, a programme's rules) beyond ``LONG_TEXT_MAX_LENGTH``.
TEXT_MAX_LENGTH = 2000
LONG_TEXT_MAX_LENGTH = 20_000


# --- Quantities, money, moments ------------------------------------------------------


def _quantity_message() -> str:
    return str(
        _("The quantity must be a whole number of at least 1 and at most %(max)s.")
        % {"max": f"{QUANTITY_MAX:,}"}
    )


quantity_message = lazy(_quantity_message, str)


def validate_quantity(value: object) -> None:
    """A whole number of units from 1 to ``QUANTITY_MAX``."""
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= QUANTITY_MAX:
        raise ValidationError(quantity_message(), code="quantity_range")


def moment_window(now: datetime | None = None) -> tuple[datetime, datetime]:
    """The earliest and latest moment a sender may state, around ``now``."""
    now = now or timezone.now()
    return now - MOMENT_PAST, now + MOMENT_FUTURE


def plan_window(now: datetime | None = None) -> tuple[datetime, datetime]:
    """The earliest and latest moment a plan may name: from ``MOMENT_PAST`` before ``now``
    (a plan typed late) to ``PLAN_FUTURE`` after it."""
    now = now or timezone.now()
    return now - MOMENT_PAST, now + PLAN_FUTURE


def _refuse_outside(value: datetime, earliest: datetime, latest: datetime) -> None:
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    if value < earliest or value > latest:
        raise ValidationError(
            _("The time must lie between %(earliest)s and %(latest)s."),
            code="moment_range",
            params={
                "earliest": timezone.localtime(earliest).strftime("%Y-%m-%d"),
                "latest": timezone.localtime(latest).strftime("%Y-%m-%d"),
            },
        )


def validate_moment(value: datetime) -> None:
    """A date and time within ``moment_window()``: not years ago, not in the future."""
    _refuse_outside(value, *moment_window())


def validate_planned_moment(value: datetime) -> None:
    """A date and time within ``plan_window()``."""
    _refuse_outside(value, *plan_window())


def _refuse_day_outside(value: date, earliest: datetime, latest: datetime) -> None:
    first, last = timezone.localdate(earliest), timezone.localdate(latest)
    if not first <= value <= last:
        raise ValidationError(
            _("The date must lie between %(earliest)s and %(latest)s."),
            code="date_range",
            params={"earliest": first.isoformat(), "latest": last.isoformat()},
        )


def validate_day(value: date) -> None:
    """A day that has happened (an issue date, a day to reconcile, a search from-to):
    within ``moment_window()``."""
    _refuse_day_outside(value, *moment_window())


def validate_planned_day(value: date) -> None:
    """A day planned or valid until (a listing date, an expiry): within ``plan_window()``."""
    _refuse_day_outside(value, *plan_window())


def validate_no_nul(value: object) -> None:
    """No NUL character: PostgreSQL cannot store one in text."""
    if isinstance(value, str) and "\x00" in value:
        raise ValidationError(_("NUL characters are not allowed."), code="null_characters")


def check_path_text(name: str, value: str, *, max_length: int) -> dict[str, list[str]]:
    """The errors of a text taken from a URL (``/orders/<external_id>/events``) before it
    is looked up: ``{name: [...]}``, empty when it is fine."""
    errors: list[str] = []
    if "\x00" in value or any(ord(c) < 32 for c in value):
        errors.append(str(_("Control characters are not allowed.")))
    if len(value) > max_length:
        errors.append(
            str(_("Ensure this field has no more than %(max)s characters.") % {"max": max_length})
        )
    return {name: errors} if errors else {}


# --- Serializer and form fields with their bounds --------------------------------------


def quantity_field(**kwargs: Any) -> serializers.IntegerField:
    kwargs.setdefault("help_text", f"Units, 1 to {QUANTITY_MAX:,}.")
    message = quantity_message()
    return serializers.IntegerField(
        min_value=1,
        max_value=QUANTITY_MAX,
        error_messages={"min_value": message, "max_value": message, "invalid": message},
        **kwargs,
    )


def unit_price_field(**kwargs: Any) -> serializers.DecimalField:
    return serializers.DecimalField(
        max_digits=UNIT_PRICE_MAX_DIGITS,
        decimal_places=MONEY_DECIMAL_PLACES,
        min_value=Decimal("0.00"),
        max_value=UNIT_PRICE_MAX,
        error_messages={"min_value": _("The unit price cannot be negative.")},
        **kwargs,
    )


def money_field(*, min_value: Decimal = Decimal("0.00"), **kwargs: Any) -> serializers.DecimalField:
    """Yuan to the fen, finite, from ``min_value`` to ``MONEY_MAX``."""
    if not min_value:
        kwargs.setdefault("error_messages", {"min_value": _("The amount cannot be negative.")})
    return serializers.DecimalField(
        max_digits=MONEY_MAX_DIGITS,
        decimal_places=MONEY_DECIMAL_PLACES,
        min_value=min_value,
        max_value=MONEY_MAX,
        **kwargs,
    )


def moment_field(**kwargs: Any) -> serializers.DateTimeField:
    """A date and time within ``moment_window()``."""
    validators = [*kwargs.pop("validators", []), validate_moment]
    return serializers.DateTimeField(validators=validators, **kwargs)


# --- Request bodies -------------------------------------------------------------------

_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKETS = re.compile(r"[\[\]{}]")


def json_depth(text: str) -> int:
    """How deeply ``text``'s arrays and objects nest (strings skipped), without parsing it:
    Python's parser recurses once per level and fails past about 1,000."""
    depth = deepest = 0
    for match in _BRACKETS.finditer(_JSON_STRING.sub("", text)):
        if match.group() in "[{":
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


def body_too_large_message(limit: int) -> str:
    return str(
        _("The request is larger than %(limit)s KB; send fewer items per request.")
        % {"limit": f"{limit // 1024:,}"}
    )


class BoundedJSONParser(JSONParser):
    """DRF's JSON parser, refusing a body nested deeper than ``JSON_MAX_DEPTH`` (400) before
    Python's recursive parser could fail on it (500). NaN and Infinity stay refused
    (``STRICT_JSON``)."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        raw = stream.read() if stream is not None else b""
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = raw.decode(encoding)
        except (UnicodeDecodeError, LookupError) as exc:
            raise ParseError(str(_("The request body is not valid UTF-8."))) from exc
        if json_depth(text) > JSON_MAX_DEPTH:
            raise ParseError(
                str(_("The JSON nests deeper than %(depth)s levels.") % {"depth": JSON_MAX_DEPTH})
            )
        return super().parse(BytesIO(raw), media_type, parser_context)


# --- Search boxes ----------------------------------------------------------------------


def strip_nul(value: str) -> str:
    return value.replace("\x00", "")


class QueryNulMiddleware:
    """Drops NUL characters from the query string's names and values (``?q=%00``): every
    list view's search box then looks for what is left instead of sending PostgreSQL a NUL
    it refuses (a 500). Nothing a person types in a search box holds one."""

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if "%00" in request.META.get("QUERY_STRING", "") or "\x00" in request.META.get(
            "QUERY_STRING", ""
        ):
            cleaned = QueryDict(mutable=True)
            for key, values in request.GET.lists():
                cleaned.setlist(strip_nul(key), [strip_nul(v) for v in values])
            cleaned._mutable = False
            request.GET = cleaned  # type: ignore[assignment]
        return self.get_response(request)


# --- Form fields with their bounds (the portal) ------------------------------------------


def form_money(*, min_value: Decimal = Decimal("0.00"), **kwargs: Any) -> forms.DecimalField:
    """An amount typed in a form: yuan to the fen, from ``min_value`` to ``MONEY_MAX``."""
    return forms.DecimalField(
        max_digits=MONEY_MAX_DIGITS,
        decimal_places=MONEY_DECIMAL_PLACES,
        min_value=min_value,
        max_value=MONEY_MAX,
        **kwargs,
    )


def form_quantity(*, min_value: int = 1, **kwargs: Any) -> forms.IntegerField:
    """Units typed in a form: from ``min_value`` (0 for a count) to ``QUANTITY_MAX``."""
    return forms.IntegerField(min_value=min_value, max_value=QUANTITY_MAX, **kwargs)


def form_moment(**kwargs: Any) -> forms.DateTimeField:
    """A date and time typed in a form, within ``moment_window()``."""
    validators = [*kwargs.pop("validators", []), validate_moment]
    return forms.DateTimeField(validators=validators, **kwargs)


def form_planned_moment(**kwargs: Any) -> forms.DateTimeField:
    """A date and time a plan names (a campaign's window, a callback), within
    ``plan_window()``."""
    validators = [*kwargs.pop("validators", []), validate_planned_moment]
    return forms.DateTimeField(validators=validators, **kwargs)


def form_date(*, planned: bool = False, **kwargs: Any) -> forms.DateField:
    """A day typed in a form: one that happened (``moment_window()``), or with ``planned``
    one planned ahead (``plan_window()``). Year 8297 is refused on the field, before any
    business check or date arithmetic could fail on it."""
    check = validate_planned_day if planned else validate_day
    validators = [*kwargs.pop("validators", []), check]
    return forms.DateField(validators=validators, **kwargs)


def form_count(
    *, min_value: int = 0, max_value: int = COUNT_MAX, **kwargs: Any
) -> forms.IntegerField:
    """A count that is no line's quantity (a month's sales, a target): up to ``COUNT_MAX``."""
    return forms.IntegerField(min_value=min_value, max_value=max_value, **kwargs)


def form_id(**kwargs: Any) -> forms.IntegerField:
    """A row's id a page sends back (a hidden field, a picked customer)."""
    kwargs.setdefault("widget", forms.HiddenInput)
    return forms.IntegerField(min_value=1, max_value=ID_MAX, **kwargs)


def form_text(
    *, max_length: int = TEXT_MAX_LENGTH, rows: int = 3, **kwargs: Any
) -> forms.CharField:
    """A free text typed in a box (a note, a reason), at most ``max_length`` characters."""
    kwargs.setdefault("widget", forms.Textarea(attrs={"rows": rows}))
    return forms.CharField(max_length=max_length, **kwargs)


def form_search(**kwargs: Any) -> forms.CharField:
    """A search box: optional, at most ``SEARCH_MAX_LENGTH`` characters."""
    kwargs.setdefault("required", False)
    return forms.CharField(max_length=SEARCH_MAX_LENGTH, **kwargs)


class BoundedFileField(forms.FileField):
    """An uploaded file of at most ``max_bytes``, refused on the field by its size before
    anything reads it."""

    def __init__(self, *args: Any, max_bytes: int, **kwargs: Any) -> None:
        self.max_bytes = max_bytes
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> Any:
        upload = super().clean(data, initial)
        size = getattr(upload, "size", None)
        if size is not None and size > self.max_bytes:
            raise ValidationError(
                _("The file is %(size)s; at most %(limit)s is accepted."),
                code="file_size",
                params={"size": filesizeformat(size), "limit": filesizeformat(self.max_bytes)},
            )
        return upload


def bounded_formfield(db_field: Any, **kwargs: Any) -> forms.Field | None:
    """A ``ModelForm``'s ``Meta.formfield_callback`` giving the model's unbounded fields
    their bounds in the form: a ``TextField`` without a ``max_length`` of its own takes
    ``TEXT_MAX_LENGTH``, a count ``COUNT_MAX``, a decimal the largest value its digits hold
    (the column refuses more, as a 500 on PostgreSQL), a date or a time ``plan_window()``."""
    from django.db import models

    if isinstance(db_field, models.TextField) and db_field.max_length is None:
        kwargs.setdefault("max_length", TEXT_MAX_LENGTH)
    elif isinstance(db_field, models.DateTimeField):
        kwargs["validators"] = [*kwargs.get("validators", []), validate_planned_moment]
    elif isinstance(db_field, models.DateField):
        kwargs["validators"] = [*kwargs.get("validators", []), validate_planned_day]
    elif isinstance(db_field, models.DecimalField):
        whole = db_field.max_digits - db_field.decimal_places
        kwargs.setdefault(
            "max_value", Decimal(10) ** whole - Decimal(10) ** -db_field.decimal_places
        )
    elif isinstance(db_field, models.IntegerField) and not isinstance(
        db_field, models.AutoField | models.BigAutoField | models.SmallAutoField
    ):
        kwargs.setdefault("max_value", COUNT_MAX)
    return db_field.formfield(**kwargs)
