from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from ecomops.bounds import LONG_TEXT_MAX_LENGTH, bounded_formfield

from .models import CutSchedule


class NoticeForm(forms.Form):
    """The State Council notice as pasted; the year only for a paste without its title."""

    text = forms.CharField(
        label=_("Text of the notice"),
        max_length=LONG_TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 18, "cols": 100}),
        help_text=_(
            "Paste the whole notice (国务院办公厅关于…年部分节假日安排的通知), title included."
        ),
    )
    year = forms.IntegerField(
        label=_("Year"),
        required=False,
        min_value=2000,
        max_value=2100,
        help_text=_("Only needed when the pasted text has no title."),
    )


CUT_HOUR_CHOICES = [(hour, f"{hour:02d}:00") for hour in range(6, 23)]


class CutScheduleForm(forms.ModelForm[CutSchedule]):
    """New cut times from a date on (the admin's add page); the service checks the rules."""

    # Not the model's field: the admin would copy the ticked list into the row's text.
    cut_times = forms.TypedMultipleChoiceField(
        label=_("Cut times"),
        coerce=int,
        choices=CUT_HOUR_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "Tick the hours the day's batches are cut at. An order accepted before a cut "
            "goes into its batch; after the last cut, into the next working day's first."
        ),
    )
    effective_today = forms.BooleanField(
        label=_("Effective today, from now on"),
        required=False,
        help_text=_(
            "Warning: today is already under way. Unticked, the change applies from the date "
            "above (tomorrow at the earliest). Ticked, it applies from the moment you save to "
            "orders accepted from then on: orders already accepted keep their batch and "
            "today's earlier cuts still release them, so today may have one batch more. "
            "Every process follows within a minute."
        ),
    )

    class Meta:
        model = CutSchedule
        formfield_callback = bounded_formfield
        fields = ["effective_from", "invoice_cut", "reason"]
        widgets = {"reason": forms.TextInput(attrs={"size": 80})}

    field_order = ["effective_from", "effective_today", "cut_times", "invoice_cut", "reason"]

    def clean(self) -> dict[str, Any]:
        from .services import cut_schedule_errors

        data = super().clean() or {}
        if self.errors:
            return data
        errors = cut_schedule_errors(
            cut_hours=data.get("cut_times") or [],
            effective_from=data["effective_from"],
            effective_today=bool(data.get("effective_today")),
            reason=data.get("reason") or "",
        )
        for field, messages in errors.items():
            for message in messages:
                self.add_error("cut_times" if field == "cut_hours" else field, message)
        return data
