import random
from decimal import Decimal

import pytest

from ecomops.money import allocate_proportionally, amount_in_words, to_money


@pytest.mark.parametrize(
    ("amount", "words"),
    [
        ("1409.50", "壹仟肆佰零玖元伍角"),
        ("1234.56", "壹仟贰佰叁拾肆元伍角陆分"),
        ("0.05", "伍分"),
        ("0.50", "伍角"),
        ("10", "壹拾元整"),
        ("15.00", "壹拾伍元整"),
        ("100000.10", "壹拾万元零壹角"),
        ("1000000000", "壹拾亿元整"),
        ("1680.32", "壹仟陆佰捌拾元零叁角贰分"),
        ("325.04", "叁佰贰拾伍元零肆分"),
        ("107000.53", "壹拾万柒仟元零伍角叁分"),
        ("6007.14", "陆仟零柒元壹角肆分"),
        ("1000400", "壹佰万零肆佰元整"),
        ("100010000", "壹亿零壹万元整"),
        ("4000", "肆仟元整"),
        ("0", "零元整"),
        ("-113.00", "负壹佰壹拾叁元整"),
    ],
)
def test_amount_in_words_follows_pboc_rules(amount, words):
    assert amount_in_words(Decimal(amount)) == words


def test_to_money_rounds_half_up_to_the_fen():
    assert to_money(Decimal("2.345")) == Decimal("2.35")
    assert to_money("2.344") == Decimal("2.34")
    assert str(to_money(3)) == "3.00"


def test_to_money_refuses_floats():
    with pytest.raises(TypeError):
        to_money(0.1)  # type: ignore[arg-type]


# --- 分摊: allocate_proportionally ---------------------------------------------------


@pytest.mark.parametrize(
    ("total", "weights", "shares"),
    [
        ("10.00", ["1", "1", "1"], ["3.34", "3.33", "3.33"]),
        ("0.01", ["5.00", "5.00"], ["0.01", "0.00"]),
        ("0.02", ["1.00", "1.00", "1.00"], ["0.01", "0.01", "0.00"]),
        ("20.00", ["99.00", "1.00"], ["19.80", "0.20"]),
        ("10.00", ["33.33", "33.33", "33.34"], ["3.33", "3.33", "3.34"]),
        ("5.00", ["29.90"], ["5.00"]),
        ("0.00", ["12.00", "8.00"], ["0.00", "0.00"]),
        # Every weight zero: shared equally.
        ("7.00", ["0", "0"], ["3.50", "3.50"]),
        # A zero-weight line gets nothing while others weigh something.
        ("3.00", ["0.00", "10.00", "20.00"], ["0.00", "1.00", "2.00"]),
        # Discount equal to the goods: every line's share is its whole amount.
        ("100.03", ["33.01", "0.01", "67.01"], ["33.01", "0.01", "67.01"]),
    ],
)
def test_allocate_proportionally_adds_up_exactly(total, weights, shares):
    result = allocate_proportionally(Decimal(total), [Decimal(w) for w in weights])

    assert result == [Decimal(s) for s in shares]
    assert sum(result) == Decimal(total)
    assert all(share.as_tuple().exponent == -2 for share in result)


def test_allocate_proportionally_over_nothing():
    assert allocate_proportionally(Decimal("0.00"), []) == []
    with pytest.raises(ValueError, match="no weights"):
        allocate_proportionally(Decimal("1.00"), [])
    with pytest.raises(ValueError, match="negative"):
        allocate_proportionally(Decimal("1.00"), [Decimal("-1")])
    with pytest.raises(ValueError, match="negative"):
        allocate_proportionally(Decimal("-1.00"), [Decimal("1")])


@pytest.mark.parametrize("seed", range(40))
def test_allocate_proportionally_properties_on_random_orders(seed):
    """Property check over random orders (hypothesis-style, seeded so it repeats)."""
    rng = random.Random(seed)
    amounts = [Decimal(rng.randint(0, 500_000)) / 100 for _ in range(rng.randint(1, 12))]
    if not any(amounts):
        amounts[0] = Decimal("0.01")
    goods = sum(amounts)
    discount = Decimal(rng.randint(0, int(goods * 100))) / 100

    shares = allocate_proportionally(discount, amounts)

    assert sum(shares) == discount
    for share, amount in zip(shares, amounts, strict=True):
        assert Decimal(0) <= share <= amount
        exact = discount * amount / goods
        # Within one fen of the exact proportional share.
        assert abs(share - exact) < Decimal("0.01")
