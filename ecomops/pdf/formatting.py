"""How amounts and dates read on printed documents."""

from __future__ import annotations

from datetime import date

from ecomops.money import format_money

__all__ = ["chinese_date", "format_money"]


def chinese_date(value: date) -> str:
    """A date as Chinese documents write it: 2026年11月23日."""
    return f"{value.year}年{value.month}月{value.day}日"
