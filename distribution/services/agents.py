"""Agent recruitment (代理招募): agreement, the first order and its payment (at least
``DISTRIBUTION_AGENT_FIRST_ORDER_MIN`` paid), the brand authorization letter with the
product data package, activation, and the reminders before a letter runs out."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from ecomops.accounts.selectors import acting_user
from ecomops.errors import ApplicationError, ConflictError, require_permission
from ecomops.fsm import transition
from ecomops.money import format_money
from ecomops.notifications.services import notify_users
from ecomops.numbering.services import next_number
from listings.exports import product_data_package
from listings.models import Brand, Sku, SkuState
from orders.models import Order, OrderState

from .. import pdf
from ..models import Authorization, Partner, PartnerKind, PartnerState, Platform
from ..selectors.partners import first_order_minimum, first_order_paid_amount, renewed
from .partners import ensure_channel, lock_partner

HANDLE = "distribution.handle_partner"


class AgentError(ApplicationError):
    """An agent recruitment step that cannot be taken as asked."""


def _agent(partner_id: int) -> Partner:
    partner = lock_partner(partner_id)
    if partner.kind != PartnerKind.AGENT:
        raise ConflictError(_("%(partner)s is not an agent.") % {"partner": partner.shop_name})
    return partner


def agent_agree(*, partner_id: int, by: Any, note: str = "") -> Partner:
    """The shop agreed to become an agent: it gets its order channel for its purchases."""
    with transaction.atomic():
        partner = _agent(partner_id)
        transition(
            partner, "agree", by=by, reason=note, at=timezone.now(), update_fields=["agreed_at"]
        )
        ensure_channel(partner)
    return partner


def agent_first_order(*, partner_id: int, order_number: str, by: Any) -> Partner:
    """Record the agent's first purchase: an order on its channel (our number or its own)."""
    require_permission(by, HANDLE)
    number = (order_number or "").strip()
    with transaction.atomic():
        partner = _agent(partner_id)
        if partner.state != PartnerState.AGREED:
            raise ConflictError(
                _("%(partner)s records its first order once it has agreed; it is %(state)s.")
                % {"partner": partner.shop_name, "state": partner.get_state_display()}
            )
        order = (
            Order.objects.filter(channel_id=partner.channel_id)
            .filter(Q(number=number) | Q(external_id=number))
            .exclude(state=OrderState.CANCELLED)
            .first()
            if number and partner.channel_id
            else None
        )
        if order is None:
            raise AgentError(
                _("No order %(number)s from %(partner)s. Key it in on the agent's channel first.")
                % {"number": number or "—", "partner": partner.shop_name},
                {"fields": {"order_number": [_("Not an order of this agent.")]}},
            )
        # An order under the minimum could never be paid up to it: refuse it now, not after.
        minimum = first_order_minimum()
        if order.total_amount < minimum:
            missing = minimum - order.total_amount
            message = _(
                "Order %(number)s comes to %(total)s: %(missing)s short of the %(minimum)s an "
                "agent's first order must reach."
            ) % {
                "number": order.number,
                "total": format_money(order.total_amount),
                "missing": format_money(missing),
                "minimum": format_money(minimum),
            }
            raise AgentError(
                message,
                {
                    "fields": {"order_number": [message]},
                    "total": str(order.total_amount),
                    "minimum": str(minimum),
                    "missing": str(missing),
                },
            )
        transition(partner, "place_first_order", by=by, order=order, update_fields=["first_order"])
    return partner


def agent_first_order_paid(*, partner_id: int, by: Any) -> Partner:
    """Confirm the first order is paid: refused until at least the minimum has come in,
    with the amount still missing."""
    require_permission(by, HANDLE)
    with transaction.atomic():
        partner = _agent(partner_id)
        if partner.state != PartnerState.FIRST_ORDER_PLACED:
            raise ConflictError(
                _("%(partner)s has no first order waiting for its payment; it is %(state)s.")
                % {"partner": partner.shop_name, "state": partner.get_state_display()}
            )
        paid = first_order_paid_amount(partner)
        minimum = first_order_minimum()
        if paid < minimum:
            missing = minimum - paid
            raise AgentError(
                _(
                    "The first order is paid up to %(paid)s; an agent's first order must be "
                    "paid to at least %(minimum)s. %(missing)s is missing."
                )
                % {
                    "paid": format_money(paid),
                    "minimum": format_money(minimum),
                    "missing": format_money(missing),
                },
                {
                    "paid": str(paid),
                    "minimum": str(minimum),
                    "missing": str(missing),
                },
            )
        transition(
            partner,
            "first_order_paid",
            by=by,
            amount=paid,
            at=timezone.now(),
            update_fields=["first_order_paid_amount", "first_order_paid_at"],
        )
    return partner


def default_validity(start: date) -> date:
    return (
        start
        + relativedelta(months=settings.DISTRIBUTION_AUTHORIZATION_MONTHS)
        - relativedelta(days=1)
    )


def _check_letter(
    brands: list[Brand], channels: list[str], valid_from: date, valid_until: date
) -> None:
    errors: dict[str, list[str]] = {}
    if not brands:
        errors["brands"] = [_("Choose the brands the agent may sell.")]
    unknown = [c for c in channels if c not in Platform.values]
    if not channels or unknown:
        errors["channels"] = [_("Choose the platforms the agent may sell on.")]
    if valid_until <= valid_from:
        errors["valid_until"] = [_("The letter must end after it starts.")]
    if errors:
        raise AgentError(_("Check the authorization."), {"fields": errors})


def package_skus(brand_ids: Iterable[int]) -> list[Sku]:
    """The listed SKUs of these brands: what the product data package carries."""
    return list(
        Sku.objects.filter(product__brand_id__in=list(brand_ids), state=SkuState.LISTED).order_by(
            "code"
        )
    )


def authorization_issue(
    *,
    partner_id: int,
    brand_ids: Iterable[int],
    channels: Iterable[str],
    territory: str = "",
    valid_from: date | None = None,
    valid_until: date | None = None,
    by: Any,
) -> Authorization:
    """Issue a numbered brand authorization letter (PDF) and the product data package of
    the brands' listed products. For an agent whose first order is paid this is the
    authorization step; for an active agent it is a renewal or a new letter."""
    require_permission(by, "distribution.authorize_partner")
    brands = list(Brand.objects.filter(pk__in=list(brand_ids)).order_by("name"))
    channel_codes = list(dict.fromkeys(channels))
    valid_from = valid_from or timezone.localdate()
    valid_until = valid_until or default_validity(valid_from)
    _check_letter(brands, channel_codes, valid_from, valid_until)
    skus = package_skus(b.pk for b in brands)
    if not skus:
        raise AgentError(
            _("None of these brands has a listed product to put in the data package."),
            {"fields": {"brands": [_("No listed products.")]}},
        )
    with transaction.atomic():
        partner = _agent(partner_id)
        if partner.state == PartnerState.FIRST_ORDER_PAID:
            transition(partner, "authorize", by=by)
        elif partner.state != PartnerState.ACTIVE:
            raise ConflictError(
                _("%(partner)s can be authorized once its first order is paid.")
                % {"partner": partner.shop_name}
            )
        now = timezone.now()
        authorization = Authorization.objects.create(
            number=next_number("SQ"),
            partner=partner,
            channels=channel_codes,
            territory=(territory or "").strip(),
            valid_from=valid_from,
            valid_until=valid_until,
            package_skus=[sku.code for sku in skus],
            issued_by=acting_user(by),
            issued_at=now,
        )
        authorization.brands.set(brands)
        letter = pdf.authorization_letter(authorization, partner=partner, brands=brands)
        authorization.letter.save(f"{authorization.number}.pdf", ContentFile(letter), save=False)
        # The partner's copy is in Chinese whatever the issuer's portal language (the
        # letter is too): the sheet's headers and file name come from the catalogue.
        with translation.override("zh-hans"):
            package = product_data_package([sku.pk for sku in skus])
        authorization.data_package.save(
            f"{authorization.number}-data.zip", ContentFile(package), save=False
        )
        authorization.save(update_fields=["letter", "data_package"])
    return authorization


def agent_activate(*, partner_id: int, by: Any) -> Partner:
    with transaction.atomic():
        partner = _agent(partner_id)
        transition(partner, "activate", by=by, at=timezone.now(), update_fields=["activated_at"])
        ensure_channel(partner)
    return partner


def authorizations_remind_expiring(*, today: date | None = None) -> int:
    """Remind the owner once of each letter running out within the reminder days and not
    renewed yet (beat, safe twice)."""
    today = today or timezone.localdate()
    horizon = today + relativedelta(days=settings.DISTRIBUTION_AUTHORIZATION_REMINDER_DAYS)
    sent = 0
    with transaction.atomic():
        due = (
            Authorization.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("partner__owner")
            .filter(
                valid_until__gte=today,
                valid_until__lte=horizon,
                revoked_at__isnull=True,
                expiry_reminded_at__isnull=True,
            )
            .filter(~renewed())
            .exclude(partner__state=PartnerState.TERMINATED)
            .order_by("valid_until", "pk")
        )
        now = timezone.now()
        for authorization in due:
            partner = authorization.partner
            notify_users(
                users=[partner.owner],
                title=_("Brand authorization %(number)s for %(partner)s ends on %(day)s")
                % {
                    "number": authorization.number,
                    "partner": partner.shop_name,
                    "day": authorization.valid_until.isoformat(),
                },
                body=_("Renew it or let the agent know."),
                url=partner.get_absolute_url(),
                key=f"distribution.authorization.{authorization.pk}.expiry",
            )
            authorization.expiry_reminded_at = now
            authorization.save(update_fields=["expiry_reminded_at"])
            sent += 1
    return sent
