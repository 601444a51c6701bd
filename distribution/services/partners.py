"""Partners of every kind: master data, contacts, the contact log and its reminders, the
first contact, suspension and termination, and the order channel a partner sells through."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from ecomops.accounts.selectors import acting_user
from ecomops.errors import ApplicationError, require_permission
from ecomops.fsm import transition
from ecomops.notifications.services import notify_users
from ecomops.numbering.services import next_number
from ecomops.validators import validate_credit_code
from listings.models import Sku
from orders.models import Channel, PaymentTerms

from ..models import (
    CHANNEL_KIND,
    ContactLogEntry,
    ContactMethod,
    Partner,
    PartnerContact,
    PartnerKind,
    PartnerState,
)

HANDLE = "distribution.handle_partner"

# How far a partner's prices may sit below the listed price before intake refuses a line:
# agents and group-buying sites buy at a discount, distributors sell at about list price.
CHANNEL_PRICE_TOLERANCE = {
    PartnerKind.AGENT: Decimal("50"),
    PartnerKind.DISTRIBUTOR: Decimal("30"),
    PartnerKind.GROUP_BUYING: Decimal("60"),
}
# Agents and sites pay by bank transfer after ordering; distributors' buyers pay the platform.
CHANNEL_TERMS = {
    PartnerKind.AGENT: PaymentTerms.ON_ACCOUNT,
    PartnerKind.DISTRIBUTOR: PaymentTerms.PREPAID,
    PartnerKind.GROUP_BUYING: PaymentTerms.ON_ACCOUNT,
}

PARTNER_FIELDS = (
    "shop_name",
    "platform",
    "shop_url",
    "company_name",
    "credit_code",
    "company_address",
    "legal_representative",
    "notes",
)


class PartnerError(ApplicationError):
    """A partner change that cannot be made as asked."""


def lock_partner(partner_id: int) -> Partner:
    return Partner.objects.select_for_update().get(pk=partner_id)


def _reason(text: str, field: str = "reason") -> str:
    text = (text or "").strip()
    if not text:
        raise PartnerError(_("Give a reason."), {"fields": {field: [_("Give a reason.")]}})
    return text


def _clean(data: dict[str, Any]) -> dict[str, Any]:
    cleaned = {name: (data.get(name) or "").strip() for name in PARTNER_FIELDS}
    errors: dict[str, list[str]] = {}
    if not cleaned["shop_name"]:
        errors["shop_name"] = [_("Enter the shop name.")]
    if not cleaned["platform"]:
        errors["platform"] = [_("Choose the platform.")]
    if cleaned["credit_code"]:
        cleaned["credit_code"] = cleaned["credit_code"].upper()
        try:
            validate_credit_code(cleaned["credit_code"])
        except ValidationError as exc:
            errors["credit_code"] = list(exc.messages)
    if errors:
        raise PartnerError(_("Check the partner's details."), {"fields": errors})
    return cleaned


def partner_create(*, kind: str, data: dict[str, Any], owner: Any, by: Any) -> Partner:
    """A new prospect of ``kind``, owned by a distribution specialist or network sales."""
    require_permission(by, HANDLE)
    if kind not in PartnerKind.values:
        raise PartnerError(_("Choose the kind of partner."), {"fields": {"kind": [_("Unknown.")]}})
    cleaned = _clean(data)
    partner = Partner.objects.create(
        number=next_number("DP"),
        kind=kind,
        owner=owner,
        created_by=acting_user(by),
        **cleaned,
    )
    return partner


def partner_update(*, partner_id: int, data: dict[str, Any], owner: Any, by: Any) -> Partner:
    require_permission(by, HANDLE)
    cleaned = _clean(data)
    with transaction.atomic():
        partner = lock_partner(partner_id)
        for name, value in cleaned.items():
            setattr(partner, name, value)
        partner.owner = owner
        partner.save(update_fields=[*cleaned, "owner"])
        channel = partner.channel
        if channel is not None and channel.name != partner.shop_name[:100]:
            channel.name = partner.shop_name[:100]
            channel.save(update_fields=["name"])
    return partner


def partner_contact_add(*, partner_id: int, data: dict[str, Any], by: Any) -> PartnerContact:
    require_permission(by, HANDLE)
    name = (data.get("name") or "").strip()
    if not name:
        raise PartnerError(_("Enter the contact's name."), {"fields": {"name": [_("Required.")]}})
    fields = {k: (data.get(k) or "").strip() for k in ("title", "phone", "wechat", "email")}
    with transaction.atomic():
        partner = lock_partner(partner_id)
        primary = bool(data.get("primary")) or not partner.contacts.exists()
        if primary:
            partner.contacts.update(primary=False)
        return PartnerContact.objects.create(partner=partner, name=name, primary=primary, **fields)


def partner_contact_remove(*, contact_id: int, by: Any) -> None:
    require_permission(by, HANDLE)
    PartnerContact.objects.filter(pk=contact_id).delete()


def contact_log_add(
    *,
    partner_id: int,
    at: datetime,
    method: str,
    summary: str,
    outcome: str = "",
    next_step: str = "",
    next_step_due: datetime | None = None,
    by: Any,
) -> ContactLogEntry:
    """Record a call or message; a next step with a due time reminds the partner's owner."""
    require_permission(by, HANDLE)
    errors: dict[str, list[str]] = {}
    if not (summary or "").strip():
        errors["summary"] = [_("Say what was discussed.")]
    if next_step_due is not None and not (next_step or "").strip():
        errors["next_step"] = [_("Say what the next step is.")]
    if method not in ContactMethod.values:
        errors["method"] = [_("Choose how the contact was made.")]
    if at > timezone.now() + timedelta(minutes=5):
        errors["at"] = [_("A contact cannot be in the future.")]
    if errors:
        raise PartnerError(_("Check the contact record."), {"fields": errors})
    partner = Partner.objects.get(pk=partner_id)
    return ContactLogEntry.objects.create(
        partner=partner,
        at=at,
        method=method,
        summary=summary.strip(),
        outcome=(outcome or "").strip(),
        next_step=(next_step or "").strip(),
        next_step_due=next_step_due,
        recorded_by=acting_user(by),
    )


def contact_step_done(*, entry_id: int, by: Any) -> ContactLogEntry:
    require_permission(by, HANDLE)
    with transaction.atomic():
        entry = ContactLogEntry.objects.select_for_update().get(pk=entry_id)
        if entry.next_step_done_at is None:
            entry.next_step_done_at = timezone.now()
            entry.save(update_fields=["next_step_done_at"])
    return entry


def contact_steps_remind_due(*, now: datetime | None = None) -> int:
    """Remind each partner's owner once of every next step now due (beat, safe twice)."""
    now = now or timezone.now()
    sent = 0
    with transaction.atomic():
        due = (
            ContactLogEntry.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("partner__owner")
            .filter(
                next_step_due__lte=now, reminded_at__isnull=True, next_step_done_at__isnull=True
            )
            .order_by("next_step_due", "pk")
        )
        for entry in due:
            partner = entry.partner
            notify_users(
                users=[partner.owner],
                title=_("Next step due with %(partner)s: %(step)s")
                % {"partner": partner.shop_name, "step": entry.next_step},
                body=entry.summary[:500],
                url=partner.get_absolute_url(),
                key=f"distribution.step.{entry.pk}",
            )
            entry.reminded_at = now
            entry.save(update_fields=["reminded_at"])
            sent += 1
    return sent


def partner_contact_first(*, partner_id: int, note: str, sku_ids: list[int], by: Any) -> Partner:
    """First contact: what was recommended to the shop (products and a note)."""
    require_permission(by, HANDLE)
    with transaction.atomic():
        partner = lock_partner(partner_id)
        skus = list(Sku.objects.filter(pk__in=sku_ids))
        if partner.kind == PartnerKind.AGENT and not skus:
            raise PartnerError(
                _("Choose the products recommended to the shop."),
                {"fields": {"skus": [_("Choose at least one product.")]}},
            )
        transition(
            partner,
            "contact",
            by=by,
            at=timezone.now(),
            note=(note or "").strip(),
            update_fields=["contacted_at", "recommendation_note"],
        )
        partner.recommended_skus.set(skus)
    return partner


def ensure_channel(partner: Partner) -> Channel:
    """The partner's own order channel (created once, named after the shop), active."""
    channel = partner.channel
    if channel is not None:
        if not channel.active:
            channel.active = True
            channel.save(update_fields=["active"])
        return channel
    kind = PartnerKind(partner.kind)
    channel = Channel.objects.create(
        code=partner.number.lower(),
        name=partner.shop_name[:100],
        kind=CHANNEL_KIND[kind],
        payment_terms=CHANNEL_TERMS[kind],
        price_tolerance_percent=CHANNEL_PRICE_TOLERANCE[kind],
    )
    partner.channel = channel
    partner.save(update_fields=["channel"])
    return channel


def _close_channel(partner: Partner) -> None:
    if partner.channel_id:
        Channel.objects.filter(pk=partner.channel_id).update(active=False)


def partner_suspend(*, partner_id: int, why: str, by: Any) -> Partner:
    """Stop a partner for now: its channel accepts no orders until it is reinstated."""
    why = _reason(why)
    with transaction.atomic():
        partner = lock_partner(partner_id)
        transition(
            partner,
            "suspend",
            by=by,
            reason=why,
            at=timezone.now(),
            why=why,
            update_fields=["suspended_at", "end_reason"],
        )
        _close_channel(partner)
    return partner


def partner_reinstate(*, partner_id: int, by: Any, note: str = "") -> Partner:
    with transaction.atomic():
        partner = lock_partner(partner_id)
        transition(
            partner, "reinstate", by=by, reason=note, update_fields=["suspended_at", "end_reason"]
        )
        ensure_channel(partner)
    return partner


def partner_terminate(*, partner_id: int, why: str, by: Any) -> Partner:
    """End the partnership: the channel closes and valid authorizations are revoked."""
    why = _reason(why)
    with transaction.atomic():
        partner = lock_partner(partner_id)
        now = timezone.now()
        transition(
            partner,
            "terminate",
            by=by,
            reason=why,
            at=now,
            why=why,
            update_fields=["ended_at", "end_reason"],
        )
        _close_channel(partner)
        partner.authorizations.filter(revoked_at__isnull=True).update(revoked_at=now)
    notify_users(
        users=[partner.owner],
        title=_("Partner %(partner)s terminated") % {"partner": partner.shop_name},
        body=why,
        url=reverse("distribution:partner_detail", args=[partner.pk]),
        key=f"distribution.terminated.{partner.pk}",
    )
    return partner


def is_recruiting(partner: Partner) -> bool:
    return partner.state not in (
        PartnerState.ACTIVE,
        PartnerState.SUSPENDED,
        PartnerState.TERMINATED,
        PartnerState.DECLINED,
    )
