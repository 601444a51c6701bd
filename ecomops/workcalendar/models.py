"""The company's business calendar (DESIGN §3).

Working days are Monday to Saturday; public holidays and the adjusted working days of the
official Chinese calendar override that. Each day of a covered year has a row; a year
without rows falls back to Monday–Saturday and managers are warned. The cut schedule
(the batches' cut hours and the invoice cut, in force from a date) is kept here too.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
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


def parse_cut_hours(value: str) -> tuple[int, ...]:
    """``"12,15"`` → ``(12, 15)``; a ``ValueError`` for anything else."""
    hours = tuple(int(part) for part in value.split(",") if part.strip())
    if not hours or list(hours) != sorted(set(hours)) or not all(0 < h < 24 for h in hours):
        raise ValueError(value)
    return hours


def validate_cut_hours(value: str) -> None:
    try:
        parse_cut_hours(value)
    except ValueError:
        raise ValidationError(
            _("Give the cut hours earliest first, each once, between 1 and 23 (e.g. 12,15)."),
            code="invalid",
        ) from None


class CutSchedule(models.Model):
    """截单时间表: the day's cut hours and the invoice cut, in force from a date on.

    A cut's hour names its batch (the 12:00 batch is slot 12). A row is never changed or
    deleted: a new schedule is a new row with who set it, when and why, so the history of
    the cuts stays readable. The row in force at a moment is the latest to come into force
    by then (``ecomops.cutoffs``).
    """

    effective_from = models.DateField(_("effective from"))
    # Midnight of effective_from, or the moment a manager saved a change for today.
    in_force_from = models.DateTimeField(_("in force from"))
    cut_hours = models.CharField(
        _("cut times"),
        max_length=60,
        validators=[validate_cut_hours],
        help_text=_("The hours the day's batches are cut at, earliest first (e.g. 12,15)."),
    )
    invoice_cut = models.TimeField(
        _("invoice cut"),
        help_text=_("Invoice requests in before it on a working day are issued the same day."),
    )
    reason = models.CharField(_("reason"), max_length=200)
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("set by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    set_at = models.DateTimeField(_("set at"))

    class Meta:
        ordering = ["-in_force_from", "-set_at", "-pk"]
        verbose_name = _("cut schedule")
        verbose_name_plural = _("cut schedules")

    def __str__(self) -> str:
        return f"{self.effective_from:%Y-%m-%d} {self.cut_times_display}"

    @property
    def slots(self) -> tuple[int, ...]:
        return parse_cut_hours(self.cut_hours)

    @property
    def cut_times_display(self) -> str:
        return " / ".join(f"{hour:02d}:00" for hour in self.slots)
