"""In-app notifications (通知), also sent by e-mail."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Notification(models.Model):
    class Level(models.TextChoices):
        INFO = "info", _("Information")
        WARNING = "warning", _("Warning")
        DANGER = "danger", _("Urgent")

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("recipient"),
    )
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("message"), blank=True)
    url = models.CharField(_("link"), max_length=500, blank=True)
    level = models.CharField(_("level"), max_length=10, choices=Level, default=Level.INFO)
    # Same key for the same recipient = the same notification: senders that may run twice
    # (sweeps, retried tasks) notify once.
    key = models.CharField(_("deduplication key"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("e-mailed"), null=True, blank=True)
    # Set when the notification is made for a recipient with an address: a sweep finds the
    # ones still without ``emailed_at`` (the message to the worker was lost, the broker was
    # down) and sends them, so an e-mail is never lost with the message (DESIGN §7).
    email_wanted = models.BooleanField(_("to be e-mailed"), default=False)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["recipient", "read_at"], name="notif_recipient_unread"),
            models.Index(
                fields=["created_at"],
                condition=Q(email_wanted=True, emailed_at=None),
                name="notif_email_unsent",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "key"], condition=~Q(key=""), name="notif_unique_key"
            )
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_read(self) -> bool:
        return self.read_at is not None
