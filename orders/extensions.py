"""Extension points other apps fill in their ``AppConfig.ready()`` (DESIGN §1: the higher
layer fills the lower layer's extension point).

Returned units: the returns app knows which goods customers sent back; apps beside it
(marketing's campaign analysis) must not import it, so they ask here and returns answers.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from django.db.models import QuerySet

from .models import Order

# orders -> {sku_id: units the customers asked to return (requests not refused or withdrawn)}
ReturnedUnitsProvider = Callable[[QuerySet[Order]], dict[int, int]]

_RETURNED_UNITS: dict[str, ReturnedUnitsProvider] = {}


def register_returned_units(key: str, provider: ReturnedUnitsProvider) -> None:
    _RETURNED_UNITS[key] = provider


def returned_units(orders: QuerySet[Order]) -> dict[int, int]:
    """Units of each SKU returned (or on their way back) from ``orders``, per SKU id."""
    total: Counter[int] = Counter()
    for provider in _RETURNED_UNITS.values():
        total.update(provider(orders))
    return dict(total)
