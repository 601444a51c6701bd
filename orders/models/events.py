"""Changes from the platform after an order is in (平台变更, issue 20 §4).

Each change a platform sends (``POST /api/v1/channels/<code>/orders/<external_id>/events``)
or a re-import finds is kept once, unique per channel on the platform's event id, with what
it did to the order (docs/orders.md "Changes from the platform").
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .sales import Channel, Order


class PlatformEventKind(models.TextChoices):
    ADDRESS_CHANGED = "address_changed", _("Address changed")
    BUYER_NOTE_CHANGED = "buyer_note_changed", _("Buyer note changed")
    REFUND_REQUESTED = "refund_requested", _("Refund requested")
    REFUND_WITHDRAWN = "refund_withdrawn", _("Refund withdrawn")
    ORDER_CLOSED = "order_closed", _("Order closed on the platform")


class PlatformEventOutcome(models.TextChoices):
    APPLIED = "applied", pgettext_lazy("platform change", "Applied")
    HELD = "held", pgettext_lazy("platform change", "Order held")
    INTERCEPT_REQUESTED = "intercept_requested", _("Warehouse asked to stop the parcel")
    PARKED = "parked", pgettext_lazy("platform change", "Order parked")
    IGNORED = "ignored", pgettext_lazy("platform change", "Not applied")


class PlatformEvent(models.Model):
    """平台变更: one change a platform sent for an order, and what it did."""

    channel = models.ForeignKey(
        Channel, on_delete=models.PROTECT, related_name="platform_events", verbose_name=_("channel")
    )
    order = models.ForeignKey(
        Order, on_delete=models.CASCADE, related_name="platform_events", verbose_name=_("order")
    )
    event_id = models.CharField(_("platform event id"), max_length=128)
    kind = models.CharField(_("kind"), max_length=30, choices=PlatformEventKind.choices)
    occurred_at = models.DateTimeField(_("happened on the platform"))
    data = models.JSONField(_("data"), default=dict, blank=True)
    payload_hash = models.CharField(_("payload hash"), max_length=64, editable=False)
    received_at = models.DateTimeField(
        pgettext_lazy("platform change", "received"), auto_now_add=True
    )
    outcome = models.CharField(_("outcome"), max_length=30, choices=PlatformEventOutcome.choices)
    message = models.CharField(_("message"), max_length=500, blank=True)

    class Meta:
        ordering = ["received_at", "pk"]
        verbose_name = _("platform change")
        verbose_name_plural = _("platform changes")
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "event_id"], name="orders_platform_event_unique_id"
            )
        ]

    def __str__(self) -> str:
        return f"{self.order.number}: {self.get_kind_display()}"
