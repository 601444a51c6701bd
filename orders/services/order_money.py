"""An order's money as the platforms charge it (issue 20 §1, docs/orders.md "Money").

goods    = Σ quantity × unit price (the lines at their unit prices)
total    = goods - discount + shipping (what the buyer owes)
paid     ≤ total (less when the platform funds a voucher)
shares   = each line's part of the discount (分摊), adding up exactly to the discount

A payload may state ``shipping_fee``, ``discount_amount``, ``paid_amount``,
``total_amount`` and per-line ``discount``; none is required. In the canonical payload a
key is kept only when it says something beyond its default (shipping 0, discount 0,
paid = total when paid and 0 when not, total as computed), so an order sent before these
fields existed hashes as it always did and a repeat stating the defaults is the same order.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _

from ecomops.bounds import MONEY_MAX, QUANTITY_MAX, UNIT_PRICE_MAX
from ecomops.money import ZERO, allocate_proportionally, to_money

if TYPE_CHECKING:
    from .intake import FieldErrorCollector

MONEY_KEYS = ("shipping_fee", "discount_amount", "total_amount", "paid_amount")

# The reason code of amounts that do not add up (``ExceptionCode.AMOUNT``): a business
# rule, so a marketplace order breaking it is parked rather than refused. An amount that
# is not a number at all stays a refusal.
AMOUNT_MISMATCH = "amount"


@dataclass(frozen=True)
class OrderMoney:
    goods: Decimal
    discount: Decimal
    shipping: Decimal
    total: Decimal
    paid: Decimal
    line_amounts: tuple[Decimal, ...]
    shares: tuple[Decimal, ...]


def _given(value: Any) -> bool:
    return value is not None and str(value).strip() != ""


def _money(value: Any) -> Decimal | None:
    if isinstance(value, bool | float):
        return None
    try:
        return to_money(str(value).strip())
    except (InvalidOperation, TypeError, ValueError):
        return None


def _as_text(value: Any) -> str:
    amount = _money(value)
    return str(amount) if amount is not None else str(value).strip()


def _line_amount(line: dict[str, Any]) -> Decimal | None:
    price, quantity = _money(line.get("unit_price")), line.get("quantity")
    if price is None or price < 0:
        return None
    if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity <= 0:
        return None
    if quantity > QUANTITY_MAX or price > UNIT_PRICE_MAX:
        return None  # refused by the line checks; no sum of it is worth making
    return to_money(price * quantity)


def canonical_money(
    data: dict[str, Any], lines: list[dict[str, Any]], *, paid: bool
) -> dict[str, Any]:
    """The money keys of ``data`` worth keeping, and each line's ``discount`` set in place.

    ``lines`` are the canonical lines (already carrying ``sku``, ``quantity``,
    ``unit_price``); ``paid`` says whether the payload has a ``paid_at``.
    """
    sent_lines = [line if isinstance(line, dict) else {} for line in data.get("lines") or []]
    if any(_given(line.get("discount")) for line in sent_lines):
        for line, sent in zip(lines, sent_lines, strict=False):
            given = sent.get("discount")
            line["discount"] = _as_text(given) if _given(given) else "0.00"
    kept: dict[str, Any] = {}
    line_shares = bool(lines) and "discount" in lines[0]
    for key in ("shipping_fee", "discount_amount"):
        value = data.get(key)
        # A discount of 0 stated beside line discounts is a claim the lines must meet.
        keep_zero = key == "discount_amount" and line_shares
        if _given(value) and (keep_zero or _money(value) != ZERO):
            kept[key] = _as_text(value)
    shipping = _money(kept.get("shipping_fee", ZERO))
    if "discount_amount" in kept:
        discount = _money(kept["discount_amount"])
    elif line_shares:
        discount = sum((_money(line["discount"]) or ZERO for line in lines), ZERO)
    else:
        discount = ZERO
    amounts = [_line_amount(line) for line in lines]
    total: Decimal | None = None
    if shipping is not None and discount is not None and all(a is not None for a in amounts):
        goods = sum((a for a in amounts if a is not None), ZERO)
        total = goods - discount + shipping
    for key, default in (("total_amount", total), ("paid_amount", total if paid else ZERO)):
        value = data.get(key)
        if _given(value) and (default is None or _money(value) != default):
            kept[key] = _as_text(value)
    return kept


def check_money(
    errors: FieldErrorCollector, payload: dict[str, Any], *, paid: bool
) -> OrderMoney | None:
    """The order's money from its canonical ``payload``.

    An amount that is not a number, or negative, is an error (``errors.add``); amounts
    that do not add up are business-rule reasons (``errors.reason(AMOUNT_MISMATCH, ...)``)
    under the field path that is off: ``discount_amount``, ``lines[0].discount``,
    ``total_amount``, ``paid_amount``. The money returned is always consistent (shares
    within their lines and adding up), so a parked order can be stored. ``None`` when a
    line or amount is unreadable (reported by the line checks or here).
    """
    lines = payload["lines"]
    amounts = [_line_amount(line) for line in lines]

    def amount(path: str, value: Any) -> Decimal | None:
        if not _given(value):
            return ZERO
        parsed = _money(value)
        if parsed is None:
            errors.add(path, _("Enter an amount in yuan, e.g. 99.00."))
        elif parsed < 0:
            errors.add(path, _("The amount cannot be negative."))
            return None
        elif parsed > MONEY_MAX:
            errors.add(path, _("The amount is more than %(max)s.") % {"max": f"{MONEY_MAX:,}"})
            return None
        return parsed

    shipping = amount("shipping_fee", payload.get("shipping_fee"))
    stated_discount = amount("discount_amount", payload.get("discount_amount"))
    paid_sent = _given(payload.get("paid_amount"))
    paid_amount = amount("paid_amount", payload.get("paid_amount"))
    total_sent = _given(payload.get("total_amount"))
    total_amount = amount("total_amount", payload.get("total_amount"))
    line_discounts: list[Decimal | None] | None = None
    if lines and "discount" in lines[0]:
        line_discounts = [
            amount(f"lines[{index}].discount", line.get("discount"))
            for index, line in enumerate(lines)
        ]
    if (
        not lines
        or any(a is None for a in amounts)
        or shipping is None
        or stated_discount is None
        or paid_amount is None
        or total_amount is None
        or (line_discounts is not None and None in line_discounts)
    ):
        return None
    line_amounts = tuple(a for a in amounts if a is not None)
    goods = sum(line_amounts, ZERO)
    if goods + shipping > MONEY_MAX:
        errors.add(
            "lines", _("The order's amount is more than %(max)s.") % {"max": f"{MONEY_MAX:,}"}
        )
        return None
    discount = stated_discount
    sent_shares: tuple[Decimal, ...] | None = None
    if line_discounts is not None:
        sent_shares = tuple(d for d in line_discounts if d is not None)
        for index, (share, line_amount) in enumerate(zip(sent_shares, line_amounts, strict=True)):
            if share > line_amount:
                errors.reason(
                    AMOUNT_MISMATCH,
                    f"lines[{index}].discount",
                    _("The line's discount %(discount)s is more than its amount %(amount)s.")
                    % {"discount": share, "amount": line_amount},
                )
                sent_shares = None
        shares_sum = sum(tuple(d for d in line_discounts if d is not None), ZERO)
        if not _given(payload.get("discount_amount")):
            discount = shares_sum
        elif shares_sum != discount:
            errors.reason(
                AMOUNT_MISMATCH,
                "discount_amount",
                _(
                    "The lines' discounts add up to %(shares)s, not to the order's discount "
                    "%(discount)s."
                )
                % {"shares": shares_sum, "discount": discount},
            )
            sent_shares = None
    if discount > goods:
        errors.reason(
            AMOUNT_MISMATCH,
            "discount_amount",
            _("The discount %(discount)s is more than the goods amount %(goods)s.")
            % {"discount": discount, "goods": goods},
        )
        # A parked order still needs amounts its columns can hold; its payload keeps
        # what was sent.
        discount = goods
        sent_shares = None
    shares = (
        sent_shares
        if sent_shares is not None
        else tuple(allocate_proportionally(discount, list(line_amounts)))
    )
    total = goods - discount + shipping
    if total_sent and total_amount != total:
        errors.reason(
            AMOUNT_MISMATCH,
            "total_amount",
            _(
                "The total %(sent)s is not goods %(goods)s - discount %(discount)s + "
                "shipping %(shipping)s = %(total)s."
            )
            % {
                "sent": total_amount,
                "goods": goods,
                "discount": discount,
                "shipping": shipping,
                "total": total,
            },
        )
    paid_value = paid_amount if paid_sent else (total if paid else ZERO)
    if paid_value > total:
        errors.reason(
            AMOUNT_MISMATCH,
            "paid_amount",
            _("The amount paid %(paid)s is more than the total %(total)s.")
            % {"paid": paid_value, "total": total},
        )
    return OrderMoney(
        goods=goods,
        discount=discount,
        shipping=shipping,
        total=total,
        paid=paid_value,
        line_amounts=line_amounts,
        shares=shares,
    )
