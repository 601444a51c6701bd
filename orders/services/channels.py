"""Channels and their SKU mappings (platform outer ids → our SKUs)."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from ecomops.errors import ApplicationError, require_permission
from listings.models import Sku

from ..models import Channel, ChannelSkuMapping, IntakePolicy, new_channel_secret

PERMISSION = "orders.manage_channel"


class ChannelError(ApplicationError):
    """A mapping or channel change that breaks a rule."""


def channel_mapping_add(
    *, channel_id: int, outer_id: str, sku_code: str, by: Any
) -> ChannelSkuMapping:
    """Map the channel's code ``outer_id`` to our SKU ``sku_code``."""
    require_permission(by, PERMISSION, _("You are not allowed to manage channels."))
    outer_id, sku_code = (outer_id or "").strip(), (sku_code or "").strip()
    errors: dict[str, list[str]] = {}
    if not outer_id:
        errors["outer_id"] = [_("This field is required.")]
    sku = Sku.objects.filter(code=sku_code).first()
    if sku is None:
        errors["sku_code"] = [_("Unknown SKU %(code)s.") % {"code": sku_code}]
    if errors:
        raise ChannelError(_("The mapping was not saved."), {"fields": errors})
    try:
        with transaction.atomic():
            return ChannelSkuMapping.objects.create(
                channel_id=channel_id, outer_id=outer_id, sku=sku
            )
    except IntegrityError:
        raise ChannelError(
            _("%(code)s is already mapped for this channel.") % {"code": outer_id},
            {"fields": {"outer_id": [_("Already mapped: remove the old mapping first.")]}},
        ) from None


def channel_mapping_remove(*, mapping_id: int, by: Any) -> None:
    require_permission(by, PERMISSION, _("You are not allowed to manage channels."))
    ChannelSkuMapping.objects.filter(pk=mapping_id).delete()


def channel_secret_rotate(*, channel_id: int, by: Any) -> Channel:
    """A new signing secret; the channel must be given it before its next push."""
    require_permission(by, PERMISSION, _("You are not allowed to manage channels."))
    with transaction.atomic():
        channel = Channel.objects.select_for_update().get(pk=channel_id)
        channel.secret = new_channel_secret()
        channel.save(update_fields=["secret"])
    return channel


def channel_intake_policy_set(*, channel_id: int, policy: str, by: Any) -> Channel:
    """Whether a paid order breaking a business rule is refused (400) or parked in the
    exception queue (marketplaces, whose buyers have paid already)."""
    require_permission(by, PERMISSION, _("You are not allowed to manage channels."))
    if policy not in IntakePolicy.values:
        raise ChannelError(
            _("Choose refuse or park."),
            {"fields": {"intake_policy": [_("Choose refuse or park.")]}},
        )
    with transaction.atomic():
        channel = Channel.objects.select_for_update().get(pk=channel_id)
        if channel.intake_policy != policy:
            channel.intake_policy = policy
            channel.save(update_fields=["intake_policy"])
    return channel
