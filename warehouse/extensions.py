"""Extension points the layers above fill in their ``AppConfig.ready()`` (DESIGN §1).

The pack station shows what else goes into a parcel, such as the invoice finance issued
for the order; only finance knows that, so it registers a provider here::

    from warehouse.extensions import register_parcel_insert

    register_parcel_insert(lambda orders: [ParcelInsert(...), ...])
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from orders.models import Order


@dataclass(frozen=True)
class ParcelInsert:
    """A document to put into the parcel: what it is, its number, where to print it."""

    order_number: str
    label: str
    number: str
    url: str = ""

    def as_dict(self) -> dict[str, str]:
        return {
            "order": self.order_number,
            "label": self.label,
            "number": self.number,
            "url": self.url,
        }


InsertProvider = Callable[[Sequence[Order]], Iterable[ParcelInsert]]
_providers: list[InsertProvider] = []


def register_parcel_insert(provider: InsertProvider) -> None:
    if provider not in _providers:
        _providers.append(provider)


def unregister_parcel_insert(provider: InsertProvider) -> None:
    if provider in _providers:
        _providers.remove(provider)


def parcel_inserts(orders: Sequence[Order]) -> list[ParcelInsert]:
    """Every document the registered providers want in a parcel for these orders."""
    return [insert for provider in _providers for insert in provider(orders)]
