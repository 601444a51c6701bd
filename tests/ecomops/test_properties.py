"""Property-based tests (hypothesis, issue 23): the validators of Chinese codes, money
rounding, amounts in words and discount shares hold for every value, not just the samples.

Each property is checked on a bounded number of generated examples (``PROFILE``), so the
file runs in seconds; hypothesis shrinks any failure to its smallest example.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from ecomops.bounds import MONEY_MAX, QUANTITY_MAX, UNIT_PRICE_MAX
from ecomops.money import CENT, allocate_proportionally, amount_in_words, to_money
from ecomops.validators import (
    credit_code_check_char,
    resident_id_check_char,
    validate_credit_code,
    validate_mobile,
    validate_postcode,
    validate_resident_id,
)
from orders.services.intake import FieldErrorCollector, canonical_payload
from orders.services.order_money import check_money
from tests.timeutil import at

# Dates come from the clock the test runs on: born at most today, pinned.
TODAY = date(2026, 11, 23)
pytestmark = pytest.mark.clock(at(2026, 11, 23, 10))

PROFILE = settings(
    max_examples=200,
    deadline=None,
    derandomize=True,  # the same examples on every run: a CI failure reproduces
    database=None,  # nothing written under .hypothesis/
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


def refused(validator: Any, value: str) -> bool:
    try:
        validator(value)
    except ValidationError:
        return True
    return False


# --- Resident identity card numbers (GB 11643) ----------------------------------------------

REGIONS = [11, 12, 13, 31, 32, 33, 35, 37, 44, 50, 51, 61, 65, 71, 81, 82]


@st.composite
def resident_ids(draw: st.DrawFn) -> str:
    region = draw(st.sampled_from(REGIONS))
    area = draw(st.integers(0, 9999))
    born = draw(st.dates(min_value=date(1900, 1, 1), max_value=TODAY))
    sequence = draw(st.integers(0, 999))
    first17 = f"{region:02d}{area:04d}{born:%Y%m%d}{sequence:03d}"
    return first17 + resident_id_check_char(first17)


@PROFILE
@given(number=resident_ids())
def test_every_well_formed_resident_id_is_accepted(clock: Any, number: str) -> None:
    validate_resident_id(number)
    validate_resident_id(number.lower())  # a lower-case x is what people type
    validate_resident_id(f" {number[:6]} {number[6:14]} {number[14:]} ")


@PROFILE
@given(number=resident_ids(), position=st.integers(0, 17), digit=st.sampled_from("0123456789X"))
def test_changing_one_character_of_a_resident_id_is_refused(
    clock: Any, number: str, position: int, digit: str
) -> None:
    assume(number[position] != digit)
    changed = number[:position] + digit + number[position + 1 :]
    assert refused(validate_resident_id, changed)


@PROFILE
@given(text=st.text(max_size=30))
def test_any_text_is_refused_or_a_valid_resident_id_never_an_error(clock: Any, text: str) -> None:
    if not refused(validate_resident_id, text):
        number = re.sub(r"\s+", "", text).upper()
        assert number.isascii()
        assert len(number) == 18
        assert number[17] == resident_id_check_char(number[:17])


# --- Unified social credit codes (GB 32100) ------------------------------------------------

CODE_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"


@st.composite
def credit_codes(draw: st.DrawFn) -> str:
    head = draw(st.text(CODE_CHARS, min_size=2, max_size=2))
    region = draw(st.text("0123456789", min_size=6, max_size=6))
    body = draw(st.text(CODE_CHARS, min_size=9, max_size=9))
    first17 = head + region + body
    return first17 + credit_code_check_char(first17)


@PROFILE
@given(code=credit_codes())
def test_every_well_formed_credit_code_is_accepted(code: str) -> None:
    validate_credit_code(code)
    validate_credit_code(code.lower())


@PROFILE
@given(code=credit_codes(), position=st.integers(0, 17), char=st.sampled_from(CODE_CHARS + "IOSVZ"))
def test_changing_one_character_of_a_credit_code_is_refused(
    code: str, position: int, char: str
) -> None:
    assume(code[position] != char)
    assert refused(validate_credit_code, code[:position] + char + code[position + 1 :])


@PROFILE
@given(text=st.text(max_size=30))
def test_any_text_is_refused_or_a_valid_credit_code_never_an_error(text: str) -> None:
    if not refused(validate_credit_code, text):
        code = re.sub(r"\s+", "", text).upper()
        assert code.isascii()
        assert len(code) == 18


# --- Mobile numbers and postcodes ----------------------------------------------------------

# Arabic-Indic, Devanagari and full-width digits: Python's \d matches them all.
OTHER_DIGITS = "\u0660\u0661\u0662\u0966\u0967\uff13"


@PROFILE
@given(
    second=st.sampled_from("3456789"),
    rest=st.text("0123456789", min_size=9, max_size=9),
    prefix=st.sampled_from(["", "+86", "0086", "86", "+86 "]),
)
def test_every_mainland_mobile_is_accepted_however_written(
    second: str, rest: str, prefix: str
) -> None:
    number = f"1{second}{rest}"
    validate_mobile(number)
    validate_mobile(f"{prefix}{number[:3]}-{number[3:7]}-{number[7:]}")


@PROFILE
@given(digits=st.text("0123456789", max_size=15))
def test_a_mobile_is_eleven_digits_starting_13_to_19(digits: str) -> None:
    valid = bool(re.fullmatch(r"1[3-9][0-9]{9}", digits))
    prefixed = bool(re.fullmatch(r"(86|0086)1[3-9][0-9]{9}", digits))
    assert refused(validate_mobile, digits) is not (valid or prefixed)


@PROFILE
@given(text=st.text(max_size=10) | st.text("0123456789 " + OTHER_DIGITS, max_size=8))
def test_a_postcode_is_six_ascii_digits(text: str) -> None:
    six_digits = bool(re.fullmatch(r"[0-9]{6}", text.strip()))
    assert refused(validate_postcode, text) is not six_digits


@PROFILE
@given(text=st.text("0123456789" + OTHER_DIGITS, min_size=10, max_size=10))
def test_a_mobile_in_other_scripts_digits_is_refused(text: str) -> None:
    number = "1" + text
    valid = bool(re.fullmatch(r"1[3-9][0-9]{9}", number))
    assert refused(validate_mobile, number) is not valid


# --- Money rounding -----------------------------------------------------------------------

amounts = st.decimals(
    min_value=-MONEY_MAX, max_value=MONEY_MAX, allow_nan=False, allow_infinity=False, places=6
)


@PROFILE
@given(value=amounts)
def test_money_is_rounded_half_up_to_the_fen(value: Decimal) -> None:
    money = to_money(value)
    assert money.as_tuple().exponent == -2
    assert abs(money - value) <= Decimal("0.005")
    if abs(money - value) == Decimal("0.005"):
        assert abs(money) > abs(value)  # a half fen goes away from zero, as on invoices
    assert to_money(money) == money
    assert to_money(-value) == -money
    assert to_money(str(value)) == money


@PROFILE
@given(value=st.sampled_from(["NaN", "-NaN", "sNaN", "Infinity", "-Infinity", "inf"]))
def test_money_is_never_nan_or_infinite(value: str) -> None:
    with pytest.raises(ValueError, match="finite"):
        to_money(value)


# --- Amounts in words (人民币大写) ----------------------------------------------------------

_DIGITS = {char: index for index, char in enumerate("零壹贰叁肆伍陆柒捌玖")}
_PLACES = {"拾": 10, "佰": 100, "仟": 1000}


def _group_value(text: str) -> int:
    total = digit = 0
    for char in text:
        if char in _DIGITS:
            digit = _DIGITS[char]
        else:
            total += digit * _PLACES[char]
            digit = 0
    return total + digit


def _integer_value(text: str) -> int:
    for word, scale in (("万亿", 10**12), ("亿", 10**8), ("万", 10**4)):
        if word in text:
            high, low = text.split(word, 1)
            return _integer_value(high) * scale + _integer_value(low)
    return _group_value(text)


def words_value(words: str) -> Decimal:
    """The amount ``amount_in_words`` wrote: read back the way a bank clerk reads it."""
    if words.startswith("负"):
        return -words_value(words[1:])
    words = words.removesuffix("整")
    yuan_text, _sep, rest = words.rpartition("元")
    yuan = _integer_value(yuan_text)
    jiao = _DIGITS[rest[rest.index("角") - 1]] if "角" in rest else 0
    fen = _DIGITS[rest[rest.index("分") - 1]] if "分" in rest else 0
    return Decimal(yuan) + Decimal(jiao) / 10 + Decimal(fen) / 100


@PROFILE
@given(value=amounts.map(to_money))
def test_amount_in_words_reads_back_as_the_amount(value: Decimal) -> None:
    words = amount_in_words(value)
    assert words_value(words) == value
    assert "零零" not in words
    assert words.endswith("整") is (value == value.to_integral_value() and value != 0) or (
        value == 0 and words == "零元整"
    )
    assert not words.lstrip("负").startswith("零") or value == 0
    assert set(words) <= set("负零壹贰叁肆伍陆柒捌玖拾佰仟万亿元角分整")


# --- Discount shares (分摊) ----------------------------------------------------------------

line_amounts = st.lists(
    st.decimals(min_value=0, max_value=UNIT_PRICE_MAX, places=2, allow_nan=False),
    min_size=1,
    max_size=20,
)


@PROFILE
@given(weights=line_amounts, data=st.data())
def test_shares_add_up_exactly_and_follow_the_weights(
    weights: list[Decimal], data: st.DataObject
) -> None:
    total = data.draw(
        st.decimals(min_value=0, max_value=sum(weights) or 100, places=2, allow_nan=False)
    )
    shares = allocate_proportionally(total, weights)
    assert sum(shares, Decimal("0")) == to_money(total)
    assert all(share.as_tuple().exponent == -2 and share >= 0 for share in shares)
    basis = weights if sum(weights) else [Decimal(1)] * len(weights)
    for share, weight in zip(shares, basis, strict=True):
        exact = total * weight / sum(basis)
        assert abs(share - exact) < CENT  # within one fen of its exact part
        if sum(weights) and total <= sum(weights):
            assert share <= to_money(weight)  # a line's share never exceeds its amount


@st.composite
def order_payloads(draw: st.DrawFn) -> dict[str, Any]:
    lines = draw(
        st.lists(
            st.tuples(
                st.integers(1, min(QUANTITY_MAX, 50)),
                st.decimals(min_value=0, max_value=Decimal("99999.99"), places=2),
            ),
            min_size=1,
            max_size=10,
        )
    )
    goods = sum((price * quantity for quantity, price in lines), Decimal("0"))
    discount = draw(st.decimals(min_value=0, max_value=goods, places=2))
    shipping = draw(st.decimals(min_value=0, max_value=Decimal("50.00"), places=2))
    return canonical_payload(
        {
            "external_id": "X",
            "placed_at": "2026-11-23T10:00:00+08:00",
            "paid_at": "2026-11-23T10:00:00+08:00",
            "customer": {"kind": "individual", "name": "李娜"},
            "lines": [
                {"sku": f"SKU-{index}", "quantity": quantity, "unit_price": str(price)}
                for index, (quantity, price) in enumerate(lines)
            ],
            "discount_amount": str(discount),
            "shipping_fee": str(shipping),
        }
    )


@PROFILE
@given(payload=order_payloads())
def test_an_orders_line_shares_add_up_to_its_discount(payload: dict[str, Any]) -> None:
    """The shares intake stores as ``OrderLine.discount_share``: what ``check_money``
    returns for the order's canonical payload."""
    errors = FieldErrorCollector()
    money = check_money(errors, payload, paid=True)
    assert not errors.fields, errors.fields
    assert money is not None
    assert sum(money.shares, Decimal("0")) == money.discount
    assert all(
        0 <= share <= amount for share, amount in zip(money.shares, money.line_amounts, strict=True)
    )
    assert money.total == money.goods - money.discount + money.shipping
    assert money.goods == sum(
        (
            (Decimal(line["unit_price"]) * line["quantity"]).quantize(CENT, ROUND_HALF_UP)
            for line in payload["lines"]
        ),
        Decimal("0"),
    )


def test_a_birth_date_after_today_is_refused(clock: Any) -> None:
    """The clock the ID properties run on: born tomorrow is refused."""
    tomorrow = TODAY + timedelta(days=1)
    first17 = f"110105{tomorrow:%Y%m%d}001"
    assert refused(validate_resident_id, first17 + resident_id_check_char(first17))
