"""Validators for Chinese identity and business codes, phone numbers, postcodes and money.

Each ``validate_*`` raises Django's ``ValidationError`` with a message a clerk can act on and
returns nothing when the value is valid, so they work as model/form validators and in
services alike. ``normalize_*`` helpers turn what people type into the stored form.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# --- Resident identity card number (GB 11643-1999) ---------------------------------------

# ASCII digits only: \d alone also matches Arabic-Indic or Devanagari digits.
_RESIDENT_ID_RE = re.compile(r"^\d{17}[\dX]$", re.ASCII)
_RESIDENT_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_RESIDENT_ID_CHECK = "10X98765432"
# First two digits: province-level division (GB/T 2260); 71/81/82 are Taiwan, HK, Macao.
_PROVINCE_CODES = frozenset(
    {11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46}
    | {50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82, 83}
)


def normalize_resident_id(value: str) -> str:
    """Strip spaces and upper-case the check character (people type a lower-case x)."""
    return re.sub(r"\s+", "", value or "").upper()


def resident_id_check_char(first17: str) -> str:
    total = sum(
        int(digit) * weight for digit, weight in zip(first17, _RESIDENT_ID_WEIGHTS, strict=True)
    )
    return _RESIDENT_ID_CHECK[total % 11]


def validate_resident_id(value: str) -> None:
    """居民身份证号码: 18 characters, a real region, a real birth date, the GB 11643 check."""
    number = normalize_resident_id(value)
    if len(number) == 15 and number.isdigit():
        raise ValidationError(
            _("This is an old 15-digit ID number; enter the 18-digit number on the current card."),
            code="resident_id_old",
        )
    if not _RESIDENT_ID_RE.match(number):
        raise ValidationError(
            _("An ID number has 18 characters: 17 digits and a final digit or X."),
            code="resident_id_format",
        )
    if int(number[:2]) not in _PROVINCE_CODES:
        raise ValidationError(
            _("The ID number starts with %(code)s, which is not a region code."),
            code="resident_id_region",
            params={"code": number[:2]},
        )
    try:
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise ValidationError(
            _("The birth date %(digits)s in the ID number is not a real date."),
            code="resident_id_birth_date",
            params={"digits": number[6:14]},
        ) from None
    if born.year < 1900 or born > timezone.localdate():
        raise ValidationError(
            _("The birth date %(date)s in the ID number is not possible."),
            code="resident_id_birth_date",
            params={"date": born.isoformat()},
        )
    expected = resident_id_check_char(number[:17])
    if number[17] != expected:
        raise ValidationError(
            _("The ID number's check character is wrong: please check every digit."),
            code="resident_id_checksum",
        )


# --- Unified social credit code (GB 32100-2015) ------------------------------------------

_CREDIT_CODE_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_CODE_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_CREDIT_CODE_RE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$", re.ASCII)


def normalize_credit_code(value: str) -> str:
    return re.sub(r"\s+", "", value or "").upper()


def credit_code_check_char(first17: str) -> str:
    total = sum(
        _CREDIT_CODE_CHARSET.index(char) * weight
        for char, weight in zip(first17, _CREDIT_CODE_WEIGHTS, strict=True)
    )
    return _CREDIT_CODE_CHARSET[(31 - total % 31) % 31]


def validate_credit_code(value: str) -> None:
    """统一社会信用代码: 18 characters (no I, O, S, V, Z), region digits, the GB 32100 check."""
    code = normalize_credit_code(value)
    if len(code) != 18:
        raise ValidationError(
            _("A unified social credit code has 18 characters; this one has %(count)d."),
            code="credit_code_length",
            params={"count": len(code)},
        )
    if not _CREDIT_CODE_RE.match(code):
        raise ValidationError(
            _(
                "A unified social credit code uses digits and capital letters except I, O, S, "
                "V and Z, with digits in places 3 to 8."
            ),
            code="credit_code_format",
        )
    if code[17] != credit_code_check_char(code[:17]):
        raise ValidationError(
            _("The credit code's check character is wrong: please check every character."),
            code="credit_code_checksum",
        )


# --- Mobile numbers and postcodes --------------------------------------------------------

_MOBILE_RE = re.compile(r"^1[3-9]\d{9}$", re.ASCII)


def normalize_mobile(value: str) -> str:
    """Keep the 11 digits: drop spaces, dashes and a +86/0086 country prefix."""
    digits = re.sub(r"[\s\-()]", "", value or "")
    for prefix in ("+86", "0086", "86"):
        if digits.startswith(prefix) and len(digits) == len(prefix) + 11:
            return digits[len(prefix) :]
    return digits


def validate_mobile(value: str) -> None:
    """A mainland China mobile number: 11 digits starting 13–19."""
    if not _MOBILE_RE.match(normalize_mobile(value)):
        raise ValidationError(
            _("Enter a mainland mobile number: 11 digits starting with 13 to 19."),
            code="mobile",
        )


def validate_postcode(value: str) -> None:
    """邮政编码: six digits."""
    if not re.fullmatch(r"\d{6}", (value or "").strip(), re.ASCII):
        raise ValidationError(_("A postcode has exactly 6 digits."), code="postcode")


# --- Barcodes ----------------------------------------------------------------------------


def ean13_check_digit(first12: str) -> str:
    total = sum(int(digit) * (3 if index % 2 else 1) for index, digit in enumerate(first12))
    return str((10 - total % 10) % 10)


def validate_ean13(value: str) -> None:
    """An EAN-13 barcode: 13 digits whose last is the check digit of the first 12."""
    code = (value or "").strip()
    if not re.fullmatch(r"\d{13}", code, re.ASCII):
        raise ValidationError(_("An EAN-13 barcode has exactly 13 digits."), code="ean13_format")
    expected = ean13_check_digit(code[:12])
    if code[12] != expected:
        raise ValidationError(
            _("The barcode's check digit should be %(digit)s: please check the number."),
            code="ean13_checksum",
            params={"digit": expected},
        )


# --- Money -------------------------------------------------------------------------------

MAX_MONEY = Decimal("999999999999.99")


def _as_decimal(value: object) -> Decimal:
    if isinstance(value, float):
        # Floats cannot hold fen exactly; accepting them would hide rounding errors.
        raise ValidationError(
            _("Amounts must be exact decimals, not floating point."), code="money_float"
        )
    try:
        amount = Decimal(str(value)) if not isinstance(value, Decimal) else value
    except (InvalidOperation, ValueError):
        raise ValidationError(
            _("%(value)s is not an amount."), code="money_invalid", params={"value": value}
        ) from None
    if not amount.is_finite():
        raise ValidationError(
            _("%(value)s is not an amount."), code="money_invalid", params={"value": value}
        )
    return amount


def validate_money(value: object) -> None:
    """An amount in CNY: a Decimal with at most two decimal places (fen)."""
    amount = _as_decimal(value)
    exponent = amount.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -2 and amount != amount.quantize(Decimal("0.01")):
        raise ValidationError(
            _("Amounts in yuan have at most two decimal places (fen): %(value)s has more."),
            code="money_places",
            params={"value": amount},
        )
    if abs(amount) > MAX_MONEY:
        raise ValidationError(
            _("%(value)s is too large an amount."), code="money_range", params={"value": amount}
        )


def validate_positive_money(value: object) -> None:
    """A money amount above zero."""
    validate_money(value)
    if _as_decimal(value) <= 0:
        raise ValidationError(_("The amount must be more than zero."), code="money_positive")


def validate_non_negative_money(value: object) -> None:
    """A money amount of zero or more."""
    validate_money(value)
    if _as_decimal(value) < 0:
        raise ValidationError(_("The amount cannot be negative."), code="money_negative")


TAX_CLASSIFICATION_CODE = re.compile(r"\d{19}")


def validate_tax_classification_code(value: str) -> None:
    """商品和服务税收分类编码: the 19 digits the tax bureau's classification table gives the
    goods (leading zeros and trailing zero padding included), as invoices carry it."""
    if not TAX_CLASSIFICATION_CODE.fullmatch(str(value or "")):
        raise ValidationError(
            _("A tax classification code is 19 digits, e.g. 1060512990000000000."),
            code="tax_classification_code",
        )
