"""Settlement with the business unit for a period (结算).

Per SKU: units and sales shipped in the period (sales net of each line's share of the
order discount; postage is not a SKU's sale), units and amounts refunded for returned
goods (refund lines paid in the period), and the subsidy: where a unit sold below the
online base subsidy price agreed at listing, the company makes up the difference. The
business unit is owed sales - returns + subsidies. Finance draws it up; finance and the
business unit each confirm it.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import DecimalField, ExpressionWrapper, F, Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from ecomops.accounts.selectors import acting_user
from ecomops.calendar import day_start
from ecomops.errors import ApplicationError
from ecomops.fsm import transition
from ecomops.money import ZERO, to_money
from ecomops.numbering.services import next_number
from listings.models import Sku
from orders.models import OrderLine

from ..models import RefundLine, RefundState, Settlement, SettlementLine
from .common import require

MONEY: Any = DecimalField(max_digits=14, decimal_places=2)


class SettlementError(ApplicationError):
    """A settlement that cannot be drawn up or confirmed as asked."""


def _period(start: date, end: date) -> tuple[datetime, datetime]:
    return day_start(start), day_start(end + timedelta(days=1))


def _refuse_settled_days(period_start: date, period_end: date) -> None:
    """A day is settled once: the statement drawn up for a period (or one overlapping it)
    stands, whatever its state, so the business unit is never paid twice for a shipment."""
    settled = (
        Settlement.objects.filter(period_start__lte=period_end, period_end__gte=period_start)
        .order_by("period_start", "pk")
        .first()
    )
    if settled is None:
        return
    message = _(
        "Settlement %(number)s already covers %(start)s to %(end)s (%(state)s): a day is "
        "settled once. Open it, or choose days after %(end)s."
    ) % {
        "number": settled.number,
        "start": settled.period_start.isoformat(),
        "end": settled.period_end.isoformat(),
        "state": settled.get_state_display(),
    }
    raise SettlementError(
        message,
        {
            "fields": {"period_start": [message]},
            "settlement": settled.number,
        },
    )


def settlement_draw_up(*, period_start: date, period_end: date, by: Any) -> Settlement:
    """A draft statement for the period, computed with grouped queries."""
    require(by, "finance.confirm_settlement_finance")
    if period_end < period_start:
        raise SettlementError(
            _("The period ends before it starts."),
            {"fields": {"period_end": [_("Choose a date on or after the start.")]}},
        )
    if period_end >= timezone.localdate():
        raise SettlementError(
            _("Settle only days that are over: the period must end before today."),
            {"fields": {"period_end": [_("Choose a day before today.")]}},
        )
    _refuse_settled_days(period_start, period_end)
    start, end = _period(period_start, period_end)
    subsidy_per_unit = ExpressionWrapper(
        F("sku__application__base_subsidy_price") - F("unit_price"), output_field=MONEY
    )
    shipped = (
        OrderLine.objects.filter(order__shipped_at__gte=start, order__shipped_at__lt=end)
        .values("sku_id")
        .annotate(
            units=Sum("quantity"),
            # What the buyers paid for the goods: each line net of its discount share.
            sales=Sum(ExpressionWrapper(F("amount") - F("discount_share"), output_field=MONEY)),
            subsidy=Coalesce(
                Sum(
                    ExpressionWrapper(subsidy_per_unit * F("quantity"), output_field=MONEY),
                    filter=Q(unit_price__lt=F("sku__application__base_subsidy_price")),
                ),
                ZERO,
                output_field=MONEY,
            ),
        )
        .order_by()
    )
    returned = (
        RefundLine.objects.filter(
            refund__state=RefundState.PAID, refund__paid_at__gte=start, refund__paid_at__lt=end
        )
        .values("sku_id")
        .annotate(units=Sum("quantity"), amount=Sum("amount"))
        .order_by()
    )
    rows: dict[int, dict[str, Any]] = defaultdict(
        lambda: {"units": 0, "sales": ZERO, "subsidy": ZERO, "r_units": 0, "returns": ZERO}
    )
    for row in shipped:
        rows[row["sku_id"]].update(
            units=row["units"], sales=to_money(row["sales"]), subsidy=to_money(row["subsidy"])
        )
    for row in returned:
        rows[row["sku_id"]].update(r_units=row["units"], returns=to_money(row["amount"]))
    bases = dict(
        Sku.objects.filter(pk__in=rows).values_list("pk", "application__base_subsidy_price")
    )
    with transaction.atomic():
        try:
            with transaction.atomic():
                settlement = Settlement.objects.create(
                    number=next_number("ST"),
                    period_start=period_start,
                    period_end=period_end,
                    created_by=acting_user(by),
                )
        except IntegrityError:  # drawn up at the same moment by someone else
            _refuse_settled_days(period_start, period_end)
            raise
        lines = [
            SettlementLine(
                settlement=settlement,
                sku_id=sku_id,
                units_shipped=row["units"],
                sales_amount=row["sales"],
                units_returned=row["r_units"],
                returns_amount=row["returns"],
                base_subsidy_price=bases.get(sku_id),
                subsidy_amount=row["subsidy"],
                amount_due=row["sales"] - row["returns"] + row["subsidy"],
            )
            for sku_id, row in sorted(rows.items())
        ]
        SettlementLine.objects.bulk_create(lines)
        settlement.sales_amount = sum((line.sales_amount for line in lines), ZERO)
        settlement.returns_amount = sum((line.returns_amount for line in lines), ZERO)
        settlement.subsidy_amount = sum((line.subsidy_amount for line in lines), ZERO)
        settlement.amount_due = sum((line.amount_due for line in lines), ZERO)
        settlement.save()
    return settlement


def settlement_confirm(*, settlement_id: int, side: str, by: Any) -> Settlement:
    """One side agrees to the statement; with both, it is confirmed and can no longer change."""
    if side not in ("finance", "business_unit"):
        raise SettlementError(_("Confirm for finance or for the business unit."))
    with transaction.atomic():
        settlement = Settlement.objects.select_for_update().get(pk=settlement_id)
        now = timezone.now()
        if side == "finance":
            fields = ["finance_confirmed_at", "finance_confirmed_by"]
            name = "confirm_finance"
        else:
            fields = ["business_unit_confirmed_at", "business_unit_confirmed_by"]
            name = "confirm_business_unit"
        transition(settlement, name, by=by, update_fields=fields, at=now, user=acting_user(by))
    return settlement
