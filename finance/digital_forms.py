"""Forms of the 数电票 screens: the platform's result file, manual entry, confirmation forms."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from ecomops.bounds import BoundedFileField, form_date, form_money

DATE = forms.DateInput(attrs={"type": "date"})


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(BoundedFileField):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> Any:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data]
        return [single(data, initial)] if data else []


class ResultImportForm(forms.Form):
    result = BoundedFileField(
        max_bytes=settings.FINANCE_IMPORT_MAX_BYTES,
        label=_("the platform's result file (xlsx)"),
        help_text=_("The batch's result, or the platform's export of issued invoices."),
    )
    issued_files = MultipleFileField(
        max_bytes=settings.FINANCE_IMPORT_MAX_BYTES,
        label=_("issued files (PDF/OFD/XML or a zip)"),
        required=False,
        help_text=_("Named after the 20-digit number, as the platform downloads them."),
    )


class DigitalEntryForm(forms.Form):
    number = forms.CharField(label=_("数电票 number (20 digits)"), max_length=20, min_length=20)
    issued_on = form_date(label=_("issue date"), widget=DATE)
    total_amount = form_money(label=_("total incl. tax (价税合计)"), min_value=Decimal("0.01"))
    file = BoundedFileField(
        max_bytes=settings.FINANCE_IMPORT_MAX_BYTES,
        label=_("issued file (PDF/OFD/XML)"),
        required=False,
    )


class RedNumberForm(forms.Form):
    number = forms.CharField(
        label=_("red-letter 数电票 number (20 digits)"), max_length=20, min_length=20
    )
    issued_on = form_date(label=_("issue date"), widget=DATE)
    file = BoundedFileField(
        max_bytes=settings.FINANCE_IMPORT_MAX_BYTES,
        label=_("issued file (PDF/OFD/XML)"),
        required=False,
    )
