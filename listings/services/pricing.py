"""Prices: every change is a new ``SkuPrice`` row with who, when and why."""

from __future__ import annotations

import math
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ecomops.validators import validate_positive_money

from ..models import PriceKind, Sku, SkuPrice
from .catalog import ListingError, field_error


def sales_target_suggest(offline_monthly_sales: int) -> int:
    """A first monthly online target derived from offline sales (setting: the ratio)."""
    ratio = Decimal(str(settings.LISTING_ONLINE_TARGET_RATIO))
    return max(1, math.ceil(offline_monthly_sales * ratio))


def check_price(price: Any, field: str = "price") -> Decimal:
    try:
        validate_positive_money(price)
    except ValidationError as exc:
        raise field_error(field, exc.messages[0]) from exc
    amount = Decimal(str(price))
    return amount.quantize(Decimal("0.01"))


def base_subsidy_price_of(sku: Sku) -> Decimal | None:
    application = getattr(sku, "application", None)
    return application.base_subsidy_price if application else None


def check_subsidy_floor(*, sku: Sku, price: Decimal, below_subsidy_reason: str) -> None:
    """The one rule for every price a customer may pay (launch, change, promotion,
    campaign): below the online base subsidy price agreed at listing only with a reason,
    since the company makes up the difference to the business unit."""
    floor = base_subsidy_price_of(sku)
    if floor is not None and price < floor and not (below_subsidy_reason or "").strip():
        raise field_error(
            "below_subsidy_reason",
            _(
                "%(price)s is below the online base subsidy price %(floor)s: give a reason "
                "to override it."
            )
            % {"price": price, "floor": floor},
        )


@transaction.atomic
def sku_price_change(
    *,
    sku_id: int,
    by: Any,
    price: Any,
    reason: str,
    below_subsidy_reason: str = "",
    valid_from: datetime | None = None,
) -> SkuPrice:
    """Set a new online price from ``valid_from`` (default now)."""
    sku = Sku.objects.select_for_update().get(pk=sku_id)
    amount = check_price(price)
    if not (reason or "").strip():
        raise field_error("reason", _("Say why the price changes."))
    check_subsidy_floor(sku=sku, price=amount, below_subsidy_reason=below_subsidy_reason)
    return SkuPrice.objects.create(
        sku=sku,
        kind=PriceKind.ONLINE,
        price=amount,
        valid_from=valid_from or timezone.now(),
        reason=reason.strip(),
        below_subsidy_reason=below_subsidy_reason.strip(),
        changed_by=by,
    )


@transaction.atomic
def sku_promotion_price_set(
    *,
    sku_id: int,
    price: Any,
    valid_from: datetime,
    valid_until: datetime,
    source: str,
    reason: str,
    by: Any | None = None,
    below_subsidy_reason: str = "",
) -> SkuPrice:
    """A campaign's dated promotional price, in effect from ``valid_from`` to ``valid_until``;
    below the base subsidy price only with a reason, as any other price."""
    sku = Sku.objects.select_for_update().get(pk=sku_id)
    amount = check_price(price)
    if valid_until <= valid_from:
        raise field_error("valid_until", _("The promotion must end after it starts."))
    if not (reason or "").strip():
        raise ListingError(_("Say why the promotional price is set."))
    check_subsidy_floor(sku=sku, price=amount, below_subsidy_reason=below_subsidy_reason)
    return SkuPrice.objects.create(
        sku=sku,
        kind=PriceKind.PROMOTION,
        price=amount,
        valid_from=valid_from,
        valid_until=valid_until,
        source=source,
        reason=reason.strip(),
        below_subsidy_reason=(below_subsidy_reason or "").strip(),
        changed_by=by,
    )


@transaction.atomic
def sku_promotion_prices_end(*, source: str, at: datetime | None = None) -> int:
    """End a campaign's promotional prices at ``at`` (default now); returns the rows touched.

    A price already in effect ends at ``at`` (its row stays, shortened: customers paid
    it); one that has not started yet is withdrawn, as it never applied. Prices that ended
    before ``at`` are history and stay as they were. Safe to call twice.
    """
    at = at or timezone.now()
    if not source:
        raise ValueError("source is required")
    rows = SkuPrice.objects.select_for_update().filter(
        kind=PriceKind.PROMOTION, source=source, valid_until__gt=at
    )
    withdrawn, _deleted = rows.filter(valid_from__gte=at).delete()
    shortened = rows.filter(valid_from__lt=at).update(valid_until=at)
    return withdrawn + shortened
