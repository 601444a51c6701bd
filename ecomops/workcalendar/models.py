"""The company's business calendar (DESIGN §3).

Working days are Monday to Saturday; public holidays and the adjusted working days of the
official Chinese calendar override that. Each day of a covered year has a row; a year
without rows falls back to Monday–Saturday and managers are warned.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class DaySource(models.TextChoices):
    PACKAGE = "package", _("Official calendar (chinesecalendar)")
    DEFAULT = "default", _("Monday to Saturday")
    MANUAL = "manual", _("Changed by a manager")
    NOTICE = "notice", _("State Council notice")


class WorkCalendarDay(models.Model):
    """工作日历: whether the company works on a given day."""

    date = models.DateField(_("date"), unique=True)
    is_working_day = models.BooleanField(_("working day"))
    note = models.CharField(_("note"), max_length=100, blank=True)
    source = models.CharField(
        _("source"), max_length=10, choices=DaySource.choices, default=DaySource.MANUAL
    )
    # Where a manager's day came from: the notice's title for a day applied from the State
    # Council notice; who applied or changed it, and when.
    source_title = models.CharField(_("source document"), max_length=200, blank=True)
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("applied by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    applied_at = models.DateTimeField(_("applied at"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["date"]
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {'✓' if self.is_working_day else '✗'} {self.note}".strip()
