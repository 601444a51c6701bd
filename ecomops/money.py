"""Money: ``Decimal`` CNY with fen precision, never float (DESIGN §3).

``amount_in_words`` writes an amount in capital numerals (大写) as the People's Bank of
China's rules for bills do, for invoices and authorization letters.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from .validators import validate_money

CENT = Decimal("0.01")
ZERO = Decimal("0.00")

_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_PLACES = ("", "拾", "佰", "仟")
_GROUPS = ("", "万", "亿", "万亿")


def to_money(value: Decimal | int | str) -> Decimal:
    """An exact amount rounded half-up to the fen (the rounding Chinese invoices use)."""
    if isinstance(value, float):
        raise TypeError("money is never a float; pass a Decimal or a string")
    amount = Decimal(value)
    if not amount.is_finite():
        # NaN compares with nothing (a 500 further on) and Infinity is no amount.
        raise ValueError("money is a finite amount, not NaN or Infinity")
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def summed_money(value: Decimal | float | int | str | None) -> Decimal:
    """A database ``Sum`` of amounts as exact CNY: ZERO for no rows. SQLite sums decimals
    as floats, so the value goes through text to keep the fen exact."""
    return to_money(Decimal(str(value))) if value is not None else ZERO


def allocate_proportionally(total: Decimal, weights: Sequence[Decimal]) -> list[Decimal]:
    """``total`` shared over ``weights`` in proportion, to the fen, adding up exactly.

    分摊 of an order discount over its lines: each share is first cut down to the fen,
    then the fen left over go one each to the shares with the largest remainders
    (ties: the earlier weight), the largest-remainder method. With every weight zero the
    total is shared equally. ``allocate_proportionally(Decimal("10.00"), [1, 1, 1])`` →
    3.34, 3.33, 3.33.
    """
    total = to_money(total)
    if total < 0:
        raise ValueError("the total to share must not be negative")
    if not weights:
        if total:
            raise ValueError("a total cannot be shared over no weights")
        return []
    if any(Decimal(w) < 0 for w in weights):
        raise ValueError("weights must not be negative")
    fen_total = int(total * 100)
    weight_sum = sum((Decimal(w) for w in weights), Decimal(0))
    basis = [Decimal(w) for w in weights] if weight_sum else [Decimal(1)] * len(weights)
    basis_sum = weight_sum or Decimal(len(weights))
    floors: list[int] = []
    remainders: list[tuple[Decimal, int]] = []
    for index, weight in enumerate(basis):
        whole, rest = divmod(fen_total * weight, basis_sum)
        floors.append(int(whole))
        remainders.append((rest, index))
    left_over = fen_total - sum(floors)
    for _rest, index in sorted(remainders, key=lambda r: (-r[0], r[1]))[:left_over]:
        floors[index] += 1
    return [(Decimal(fen) / 100).quantize(CENT) for fen in floors]


def _group_words(group: int) -> str:
    """A group of up to four digits (0 < group < 10000), without leading 零."""
    digits = f"{group:04d}"
    words: list[str] = []
    pending_zero = False
    for position, char in enumerate(digits):
        digit = int(char)
        place = 3 - position
        if digit == 0:
            pending_zero = bool(words)
            continue
        if pending_zero:
            words.append("零")
            pending_zero = False
        words.append(_DIGITS[digit] + _PLACES[place])
    return "".join(words)


def _integer_words(number: int) -> str:
    groups = []
    while number:
        groups.append(number % 10000)
        number //= 10000
    if len(groups) > len(_GROUPS):
        raise ValueError("amount too large to write in words")
    words = ""
    skipped_zero_group = False
    for index in reversed(range(len(groups))):
        group = groups[index]
        if group == 0:
            skipped_zero_group = bool(words)
            continue
        # 壹佰万零肆佰: a zero between groups, or a group not filling its thousands place.
        if words and (skipped_zero_group or group < 1000):
            words += "零"
        words += _group_words(group) + _GROUPS[index]
        skipped_zero_group = False
    return words


def amount_in_words(amount: Decimal | int | str) -> str:
    """人民币大写 without the 人民币 prefix: ``Decimal("1409.50")`` → ``壹仟肆佰零玖元伍角``.

    Whole yuan end in 整; a zero yuan digit before jiao, or a zero jiao before fen, is
    written 零 (壹拾万元零壹角, 叁佰贰拾伍元零肆分); amounts under a yuan start at the
    jiao or fen (伍分). Negative amounts (red-letter invoices) are prefixed 负.
    """
    value = to_money(amount)
    if value < 0:
        return "负" + amount_in_words(-value)
    fen_total = int(value * 100)
    yuan, cents = divmod(fen_total, 100)
    jiao, fen = divmod(cents, 10)
    if yuan == 0 and cents == 0:
        return "零元整"
    words = ""
    if yuan:
        words = _integer_words(yuan) + "元"
    if jiao:
        if yuan and yuan % 10 == 0:
            words += "零"
        words += _DIGITS[jiao] + "角"
    if fen:
        if yuan and not jiao:
            words += "零"
        words += _DIGITS[fen] + "分"
    if not cents:
        words += "整"
    return words


def format_money(amount: Decimal | int | str, *, symbol: str = "¥") -> str:
    """``Decimal("1234.5")`` → ``"¥1,234.50"``; negative: ``"-¥1,234.50"``.

    Rounded half up to the fen, as on Chinese invoices. Floats are refused: money is
    never a float. ``symbol=""`` gives the bare number for columns headed "金额(元)".
    """
    if isinstance(amount, float):
        raise TypeError("Money is a Decimal, never a float.")
    value = Decimal(amount).quantize(CENT, rounding=ROUND_HALF_UP)
    sign = "-" if value < 0 else ""
    return f"{sign}{symbol}{abs(value):,.2f}"


class MoneyField(models.DecimalField):
    """A CNY amount: 14 digits with 2 decimal places, validated as money."""

    default_validators = [validate_money]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max_digits", 14)
        kwargs.setdefault("decimal_places", 2)
        if not args:
            kwargs.setdefault("verbose_name", _("amount"))
        super().__init__(*args, **kwargs)

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        # SQLite hands computed amounts (subqueries, Coalesce) back as floats turned into
        # long Decimals (147.840000000000); every amount read is quantized to the fen.
        if isinstance(value, Decimal):
            return value.quantize(CENT)
        return value

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        if kwargs.get("max_digits") == 14:
            del kwargs["max_digits"]
        if kwargs.get("decimal_places") == 2:
            del kwargs["decimal_places"]
        return name, path, args, kwargs
