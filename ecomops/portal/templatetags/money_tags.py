from __future__ import annotations

from decimal import Decimal

from django import template

from ecomops.money import format_money

register = template.Library()


@register.filter
def yuan(amount: Decimal | int | str | None) -> str:
    """``{{ price|yuan }}`` → ``¥1,234.50``; empty for no amount."""
    if amount is None or amount == "":
        return ""
    return format_money(amount)
