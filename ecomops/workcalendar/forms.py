from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class NoticeForm(forms.Form):
    """The State Council notice as pasted; the year only for a paste without its title."""

    text = forms.CharField(
        label=_("Text of the notice"),
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
