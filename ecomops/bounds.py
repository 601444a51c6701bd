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
  and ``MOMENT_FUTURE`` after it (year 8297 is a typo or an attack, never a payment).
- ``JSON_MAX_DEPTH``: nesting of a JSON body; ``API_MAX_BODY_BYTES`` and
  ``DATA_UPLOAD_MAX_MEMORY_SIZE`` (settings): the size of one signed request and of a page.
- ``strip_nul``: what a search box does with a NUL character (drops it).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from decimal import Decimal
from io import BytesIO
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, QueryDict
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

JSON_MAX_DEPTH = 16
# Items one request may carry in any list (lines of an order; pages have their own cap).
LIST_MAX_ITEMS = 500

# A text field without its own limit (free notes) is cut off here.
TEXT_MAX_LENGTH = 2000


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


def validate_moment(value: datetime) -> None:
    """A date and time within ``moment_window()``: not years ago, not in the future."""
    earliest, latest = moment_window()
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
