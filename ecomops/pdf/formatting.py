"""How amounts read on printed documents."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

_FEN = Decimal("0.01")


def format_money(amount: Decimal | int | str, *, symbol: str = "¥") -> str:
    """``Decimal("1234.5")`` → ``"¥1,234.50"``; negative: ``"-¥1,234.50"``.

    Rounded half up to the fen, as on Chinese invoices. Floats are refused: money is
    never a float. ``symbol=""`` gives the bare number for columns headed "金额(元)".
    """
    if isinstance(amount, float):
        raise TypeError("Money is a Decimal, never a float.")
    value = Decimal(amount).quantize(_FEN, rounding=ROUND_HALF_UP)
    sign = "-" if value < 0 else ""
    return f"{sign}{symbol}{abs(value):,.2f}"
