"""A return refunds what the buyer paid for the units (issue 20 §1): the line's net amount,
less its share of the order's discount, per unit."""

from __future__ import annotations

from decimal import Decimal

import pytest

from orders.models import OrderLine
from returns.selectors.requests import net_value_of

D = Decimal


def line(amount: str, share: str, quantity: int) -> OrderLine:
    return OrderLine(
        quantity=quantity,
        unit_price=D(amount) / quantity,
        amount=D(amount),
        discount_share=D(share),
    )


@pytest.mark.parametrize(
    ("amount", "share", "quantity", "units", "value"),
    [
        ("300.00", "0.00", 3, 1, "100.00"),
        ("300.00", "30.00", 3, 1, "90.00"),
        ("300.00", "30.00", 3, 3, "270.00"),
        # 10.01 net over 3 units: a part is rounded down, all units are the exact net.
        ("30.00", "19.99", 3, 1, "3.33"),
        ("30.00", "19.99", 3, 2, "6.67"),
        ("30.00", "19.99", 3, 3, "10.01"),
        ("99.00", "99.00", 1, 1, "0.00"),
    ],
)
def test_net_value_of_returned_units(amount, share, quantity, units, value):
    assert net_value_of(line(amount, share, quantity), units) == D(value)
