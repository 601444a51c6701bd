"""How amounts read on printed documents: the kernel's money formatting."""

from ecomops.money import format_money

__all__ = ["format_money"]
