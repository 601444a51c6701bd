from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError

from ecomops.validators import (
    normalize_mobile,
    validate_credit_code,
    validate_ean13,
    validate_mobile,
    validate_money,
    validate_positive_money,
    validate_postcode,
    validate_resident_id,
)

pytestmark = pytest.mark.usefixtures("english")


@pytest.mark.parametrize(
    "value",
    [
        "11010519491231002X",  # the standard's own example
        "11010519491231002x",  # lower-case check character as people type it
        "440308199901010012",
        " 110105 19491231002X ",
    ],
)
def test_valid_resident_ids(value):
    validate_resident_id(value)


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("110105194912310021", "resident_id_checksum"),
        ("110105194902300023", "resident_id_birth_date"),  # 30 February
        ("110105189912310027", "resident_id_birth_date"),  # before 1900
        ("990105194912310023", "resident_id_region"),
        ("11010519491231002", "resident_id_format"),
        ("1101051949123100XX", "resident_id_format"),
        ("110105491231002", "resident_id_old"),
        ("", "resident_id_format"),
    ],
)
def test_invalid_resident_ids(value, code):
    with pytest.raises(ValidationError) as excinfo:
        validate_resident_id(value)
    assert excinfo.value.code == code
    assert str(excinfo.value.messages[0])


@time_machine.travel("2026-01-01 12:00 +0800", tick=False)
def test_resident_id_born_in_the_future_is_refused():
    with pytest.raises(ValidationError) as excinfo:
        validate_resident_id("110105202701010016")
    assert excinfo.value.code == "resident_id_birth_date"


@pytest.mark.parametrize(
    "value", ["91350100M000100Y43", "9144030071526726XG", "91350100m000100y43"]
)
def test_valid_credit_codes(value):
    validate_credit_code(value)


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("91350100M000100Y44", "credit_code_checksum"),
        ("9144030071526726XA", "credit_code_checksum"),
        ("91350100M000100Y4", "credit_code_length"),
        ("9135O100M000100Y43", "credit_code_format"),  # letter O among the region digits
        ("91350100M0001I0Y43", "credit_code_format"),  # I is never used
    ],
)
def test_invalid_credit_codes(value, code):
    with pytest.raises(ValidationError) as excinfo:
        validate_credit_code(value)
    assert excinfo.value.code == code


@pytest.mark.parametrize(
    "value", ["13812345678", "+86 138 1234 5678", "0086-19912345678", "8615912345678"]
)
def test_valid_mobiles(value):
    validate_mobile(value)


@pytest.mark.parametrize(
    "value", ["12812345678", "1381234567", "138123456789", "021-12345678", "abc"]
)
def test_invalid_mobiles(value):
    with pytest.raises(ValidationError, match="11 digits"):
        validate_mobile(value)


def test_normalize_mobile_keeps_eleven_digits():
    assert normalize_mobile("+86 138-1234-5678") == "13812345678"


@pytest.mark.parametrize(
    ("value", "ok"),
    [("310000", True), ("100080", True), ("31000", False), ("3100001", False), ("31000a", False)],
)
def test_postcodes(value, ok):
    if ok:
        validate_postcode(value)
    else:
        with pytest.raises(ValidationError, match="6 digits"):
            validate_postcode(value)


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("6901234567892", True),
        ("4006381333931", True),
        ("6901234567893", False),
        ("690123456789", False),
    ],
)
def test_ean13(value, ok):
    if ok:
        validate_ean13(value)
    else:
        with pytest.raises(ValidationError):
            validate_ean13(value)


@pytest.mark.parametrize("value", [Decimal("12.30"), Decimal("0"), "99.9", 15, Decimal("12.300")])
def test_valid_money(value):
    validate_money(value)


@pytest.mark.parametrize(
    ("value", "code"),
    [
        (Decimal("12.345"), "money_places"),
        (12.3, "money_float"),
        ("abc", "money_invalid"),
        (Decimal("NaN"), "money_invalid"),
    ],
)
def test_invalid_money(value, code):
    with pytest.raises(ValidationError) as excinfo:
        validate_money(value)
    assert excinfo.value.code == code


def test_positive_money_refuses_zero():
    with pytest.raises(ValidationError, match="more than zero"):
        validate_positive_money(Decimal("0.00"))
