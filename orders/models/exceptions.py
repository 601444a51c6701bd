"""The exception queue (异常订单) and the blacklist (黑名单).

A paid marketplace order that breaks a business rule is kept, parked in the ``exception``
state, with one ``OrderException`` per reason found. A person fixes the cause (maps the
code, edits the address) or approves it with a reason; the re-check runs the same rules on
the payload as received plus those fixes, and the order is released into the normal flow
once no reason is left (docs/orders.md "Exception queue").
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .sales import Order


class ExceptionCode(models.TextChoices):
    SKU_UNKNOWN = "sku_unknown", _("Unknown SKU code")
    SKU_NOT_LISTED = "sku_not_listed", _("SKU not listed")
    PRICE = "price", _("Price outside the channel's tolerance")
    ADDRESS = "address", _("Incomplete or undeliverable address")
    AMOUNT = "amount", _("Amounts do not add up")
    BLACKLIST = "blacklist", _("On the blacklist")
    DUPLICATE = "duplicate", _("Possible duplicate")
    PLATFORM_CHANGE = "platform_change", _("Platform change not applied")


# Reasons a person may approve (with a reason) rather than fix: the order goes ahead as it is.
APPROVABLE_CODES = (
    ExceptionCode.PRICE,
    ExceptionCode.AMOUNT,
    ExceptionCode.BLACKLIST,
    ExceptionCode.DUPLICATE,
    ExceptionCode.PLATFORM_CHANGE,
)


class ExceptionResolution(models.TextChoices):
    FIXED = "fixed", _("Fixed")
    APPROVED = "approved", pgettext_lazy("exception resolution", "Approved")
    CLEARED = "cleared", _("No longer found")


class OrderException(models.Model):
    """异常原因: one reason an order is parked, with how it was resolved."""

    order = models.ForeignKey(
        Order, on_delete=models.CASCADE, related_name="exceptions", verbose_name=_("order")
    )
    code = models.CharField(_("reason"), max_length=20, choices=ExceptionCode.choices)
    field = models.CharField(_("field"), max_length=100, blank=True)
    message = models.CharField(_("message"), max_length=500)
    found_at = models.DateTimeField(_("found"))
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("resolved by"),
    )
    resolution = models.CharField(
        _("resolution"), max_length=10, choices=ExceptionResolution.choices, blank=True
    )
    resolution_note = models.CharField(_("resolution note"), max_length=300, blank=True)

    class Meta:
        ordering = ["order", "found_at", "pk"]
        verbose_name = _("order exception")
        verbose_name_plural = _("order exceptions")
        indexes = [
            models.Index(fields=["code", "resolved_at"], name="orders_exception_open"),
        ]

    def __str__(self) -> str:
        return f"{self.order.number}: {self.get_code_display()}"

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None

    @property
    def approvable(self) -> bool:
        return self.code in APPROVABLE_CODES


class BlacklistKind(models.TextChoices):
    BUYER = "buyer", _("Buyer account")
    PHONE = "phone", _("Phone")
    ADDRESS = "address", _("Address")


class BlacklistEntry(models.Model):
    """黑名单: a buyer account, phone or address whose orders service staff check first."""

    kind = models.CharField(_("kind"), max_length=10, choices=BlacklistKind.choices)
    value = models.CharField(
        _("value"),
        max_length=300,
        help_text=_(
            "Buyer account as the platform shows it, a mobile number, or the address "
            "(province, city, district and street written together)."
        ),
    )
    reason = models.CharField(_("reason"), max_length=300)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("added by"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    # Every save counts one more: the intake keeps the list per process and reads it again
    # when the entries' count, revisions or newest id changed (``selectors.Blacklist``).
    revision = models.PositiveIntegerField(_("revision"), default=0, editable=False)
    active = models.BooleanField(_("active"), default=True)
    removed_at = models.DateTimeField(_("removed"), null=True, blank=True)
    removed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("removed by"),
    )
    removal_reason = models.CharField(_("removal reason"), max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("blacklist entry")
        verbose_name_plural = _("blacklist")
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "value"],
                condition=Q(active=True),
                name="orders_blacklist_unique_active",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.value}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.revision += 1
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "revision"}
        super().save(*args, **kwargs)
