"""The distributor programme (分销商招募): its rules and brochure, applications, and their
screening against the criteria in ``DISTRIBUTION_SCREENING``."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from ecomops.accounts.selectors import acting_user
from ecomops.errors import (
    ApplicationError,
    ConflictError,
    PermissionDeniedError,
    require_permission,
)
from ecomops.fsm import transition

from ..models import Partner, PartnerKind, ProgrammeVersion, Screening, ScreeningDecision
from ..selectors.partners import screening_criteria
from .partners import ensure_channel, lock_partner


class DistributorError(ApplicationError):
    """A programme or screening step that cannot be taken as asked."""


PROGRAMME_FIELDS = ("title", "introduction", "benefits", "rules", "contact")


def programme_save(*, data: dict[str, Any], by: Any) -> ProgrammeVersion:
    """Save the programme as its next version; earlier versions stay as they were."""
    require_permission(by, "distribution.edit_programme")
    cleaned = {name: (data.get(name) or "").strip() for name in PROGRAMME_FIELDS}
    errors = {name: [_("This field is required.")] for name, value in cleaned.items() if not value}
    try:
        discount = Decimal(str(data.get("discount_percent", "")))
        if not Decimal("0") <= discount <= Decimal("100"):
            raise InvalidOperation
    except (InvalidOperation, ValueError):
        errors["discount_percent"] = [_("Enter a percentage from 0 to 100.")]
        discount = Decimal("0")
    if errors:
        raise DistributorError(_("Check the programme."), {"fields": errors})
    with transaction.atomic():
        last = ProgrammeVersion.objects.select_for_update().aggregate(v=Max("version"))["v"] or 0
        return ProgrammeVersion.objects.create(
            version=last + 1, discount_percent=discount, changed_by=acting_user(by), **cleaned
        )


def _distributor(partner_id: int) -> Partner:
    partner = lock_partner(partner_id)
    if partner.kind != PartnerKind.DISTRIBUTOR:
        raise ConflictError(_("%(partner)s is not a distributor.") % {"partner": partner.shop_name})
    return partner


def distributor_apply(
    *,
    partner_id: int,
    shop_rating: Decimal,
    monthly_sales: int,
    years_open: Decimal,
    by: Any,
) -> Partner:
    """Record a shop's application with the figures it is screened on."""
    require_permission(by, "distribution.handle_partner")
    errors: dict[str, list[str]] = {}
    if shop_rating is None or not Decimal("0") <= Decimal(shop_rating) <= Decimal("5"):
        errors["shop_rating"] = [_("Enter the shop rating, 0 to 5.")]
    if monthly_sales is None or int(monthly_sales) < 0:
        errors["monthly_sales"] = [_("Enter the shop's monthly sales.")]
    if years_open is None or Decimal(years_open) < 0:
        errors["years_open"] = [_("Enter how long the shop has been open.")]
    if errors:
        raise DistributorError(_("Check the application."), {"fields": errors})
    with transaction.atomic():
        partner = _distributor(partner_id)
        partner.shop_rating = Decimal(shop_rating)
        partner.monthly_sales = int(monthly_sales)
        partner.years_open = Decimal(years_open)
        transition(
            partner,
            "apply",
            by=by,
            at=timezone.now(),
            update_fields=["applied_at", "shop_rating", "monthly_sales", "years_open"],
        )
    return partner


def distributor_screen(*, partner_id: int, decision: str, note: str = "", by: Any) -> Screening:
    """Accept or decline an application; the criteria as they stood are kept with it.

    Accepting a shop that misses a criterion needs ``override_screening`` and a note;
    declining always needs a note the shop can be told.
    """
    require_permission(by, "distribution.screen_distributor")
    note = (note or "").strip()
    if decision not in ScreeningDecision.values:
        raise DistributorError(
            _("Choose accept or decline."), {"fields": {"decision": [_("Choose one.")]}}
        )
    with transaction.atomic():
        partner = _distributor(partner_id)
        criteria = screening_criteria(partner)
        met = all(c.met for c in criteria)
        missed = ", ".join(c.label for c in criteria if not c.met)
        if decision == ScreeningDecision.ACCEPTED and not met:
            if by is not None and not by.has_perm("distribution.override_screening"):
                raise PermissionDeniedError(
                    _("%(partner)s misses the criteria (%(missed)s); only a manager can accept it.")
                    % {"partner": partner.shop_name, "missed": missed}
                )
            if not note:
                raise DistributorError(
                    _("Say why a shop that misses %(missed)s is accepted.") % {"missed": missed},
                    {"fields": {"note": [_("Give a reason.")]}},
                )
        if decision == ScreeningDecision.DECLINED and not note:
            raise DistributorError(
                _("Say why the application is declined."),
                {"fields": {"note": [_("Give a reason.")]}},
            )
        now = timezone.now()
        if decision == ScreeningDecision.ACCEPTED:
            transition(
                partner, "accept", by=by, reason=note, at=now, update_fields=["activated_at"]
            )
            ensure_channel(partner)
        else:
            transition(partner, "decline", by=by, reason=note)
        return Screening.objects.create(
            partner=partner,
            decision=decision,
            criteria=[c.as_dict() for c in criteria],
            criteria_met=met,
            note=note,
            decided_by=acting_user(by),
            decided_at=now,
        )
