"""Forms of the statement screens (issue 22 §1)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, cast

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from ecomops.bounds import BoundedFileField, form_id

from .models import PaymentAccount, StatementLineKind

MAPPING_LABELS = {
    "reference": _("serial number column"),
    "occurred_at": _("date column"),
    "time": _("time column (when apart from the date)"),
    "amount": _("signed amount column"),
    "income": _("income (credit) column"),
    "expense": _("expense (debit) column"),
    "counterparty": _("counterparty column"),
    "memo": _("summary column (the bank's word: 摘要)"),
    "purpose": _("purpose column (the payer's words: 用途, 附言)"),
    "order_number": _("order number column"),
}

_PENDING = re.compile(r"^[0-9a-f]{32}$")


class StatementUploadForm(forms.Form):
    """Account and file; for a bank account's first import, which column holds what.

    A file already uploaded for the mapping step is kept under a token (``pending``), so
    the clerk does not choose it again."""

    account = forms.ModelChoiceField(
        label=_("payment account"),
        queryset=PaymentAccount.objects.filter(active=True),
        to_field_name="code",
    )
    file = BoundedFileField(
        max_bytes=settings.FINANCE_IMPORT_MAX_BYTES,
        label=_("statement file"),
        required=False,
        help_text=_(
            "As downloaded: Alipay 账务明细 CSV, WeChat Pay 交易账单 CSV, or the bank's CSV/xlsx."
        ),
    )
    pending = forms.CharField(widget=forms.HiddenInput, max_length=32, required=False)
    pending_name = forms.CharField(widget=forms.HiddenInput, max_length=255, required=False)

    def __init__(self, *args: Any, columns: Sequence[str] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.columns = [c for c in columns if c]
        if self.columns:
            choices = [("", "—"), *((c, c) for c in self.columns)]
            for name, label in MAPPING_LABELS.items():
                self.fields[f"map_{name}"] = forms.ChoiceField(
                    label=label, choices=choices, required=False
                )

    def clean_pending(self) -> str:
        value = self.cleaned_data.get("pending", "")
        if value and not _PENDING.match(value):
            raise forms.ValidationError(_("The kept file is not valid: choose the file again."))
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("file") and not data.get("pending"):
            self.add_error("file", _("Choose the statement file."))
        return data

    def mapping(self) -> dict[str, str]:
        return {
            name: self.cleaned_data.get(f"map_{name}", "")
            for name in MAPPING_LABELS
            if self.cleaned_data.get(f"map_{name}")
        }


class StatementFilterForm(forms.Form):
    account = forms.ChoiceField(label=_("payment account"), required=False)
    status = forms.ChoiceField(
        label=_("status"),
        required=False,
        choices=[
            ("unmatched", _("Not matched")),
            ("matched", _("Matched")),
            ("all", _("All")),
        ],
    )
    kind = forms.ChoiceField(
        label=_("kind"), required=False, choices=[("", "—"), *StatementLineKind.choices]
    )
    q = forms.CharField(label=_("search"), max_length=100, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        account = cast(forms.ChoiceField, self.fields["account"])
        account.choices = [
            ("", "—"),
            *PaymentAccount.objects.values_list("code", "name"),
        ]


class AcceptMatchForm(forms.Form):
    order = form_id()
    reason = forms.CharField(label=_("note"), max_length=300, required=False)


class UndoMatchForm(forms.Form):
    reason = forms.CharField(label=_("why the match is undone"), max_length=300)
