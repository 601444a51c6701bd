from decimal import Decimal

import pytest

from ecomops.money import amount_in_words, to_money


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
