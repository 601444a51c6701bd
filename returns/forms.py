"""Forms of the return desk; the per-line fields are built from the order's lines."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from ecomops.bounds import TEXT_MAX_LENGTH
from warehouse.models import Location

from .models import ReturnKind, ReturnLine, ReturnReason
from .selectors.requests import ReturnableLine
from .services.requests import LineInspection, ReturnItem


class OrderLookupForm(forms.Form):
    order = forms.CharField(
        label=_("order number"),
        max_length=64,
        help_text=_("Our order number (SO…) or the channel's order number."),
    )


class ReturnOpenForm(forms.Form):
    kind = forms.ChoiceField(label=_("kind"), choices=ReturnKind.choices)
    reason = forms.ChoiceField(label=_("reason"), choices=ReturnReason.choices)
    reason_detail = forms.CharField(
        label=_("in the customer's words"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=TEXT_MAX_LENGTH,
    )
    window_override_reason = forms.CharField(
        label=_("why accepted after the return window"),
        max_length=300,
        required=False,
        help_text=_("Managers only, when the return window has closed."),
    )

    def __init__(self, *args: Any, lines: Sequence[ReturnableLine], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lines = list(lines)
        for line in self.lines:
            self.fields[f"line_{line.line_id}"] = forms.IntegerField(
                label=f"{line.sku_code} {line.sku_name}",
                min_value=0,
                max_value=max(line.returnable, 0),
                initial=0,
                required=False,
                help_text=_("%(n)d may come back") % {"n": line.returnable},
            )

    def line_rows(self) -> list[tuple[ReturnableLine, forms.BoundField]]:
        return [(line, self[f"line_{line.line_id}"]) for line in self.lines]

    def items(self) -> list[ReturnItem]:
        return [
            ReturnItem(
                order_line_id=line.line_id,
                quantity=self.cleaned_data.get(f"line_{line.line_id}") or 0,
            )
            for line in self.lines
        ]


class NoteForm(forms.Form):
    note = forms.CharField(label=_("note"), max_length=300)


class RejectForm(forms.Form):
    reason = forms.CharField(
        label=_("why rejected"), max_length=300, help_text=_("The customer will be told this.")
    )


class WaybillForm(forms.Form):
    waybill = forms.CharField(label=_("return waybill number"), max_length=40)
    carrier = forms.CharField(label=_("carrier"), max_length=40, required=False)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultiplePhotoField(forms.FileField):
    """Several pictures in one field; each is checked by the service."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault(
            "widget", MultipleFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"})
        )
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> Any:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data]
        return [single(data, initial)] if data else []


class PhotoForm(forms.Form):
    photos = MultiplePhotoField(label=_("pictures"))


class InspectForm(forms.Form):
    """Per line: units restocked (and where), units written off (and why), a note."""

    def __init__(self, *args: Any, lines: Sequence[ReturnLine], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lines = list(lines)
        locations = Location.objects.filter(active=True).select_related("warehouse")
        for line in self.lines:
            key = f"line_{line.pk}"
            self.fields[key] = forms.IntegerField(
                label=_("restock"), min_value=0, max_value=line.quantity, initial=line.quantity
            )
            self.fields[f"{key}_location"] = forms.ModelChoiceField(
                label=_("into location"), queryset=locations, required=False
            )
            self.fields[f"{key}_write_off"] = forms.IntegerField(
                label=_("write off"), min_value=0, max_value=line.quantity, initial=0
            )
            self.fields[f"{key}_write_off_reason"] = forms.CharField(
                label=_("write-off reason"), max_length=300, required=False
            )
            self.fields[f"{key}_note"] = forms.CharField(
                label=_("note"), max_length=300, required=False
            )

    def line_rows(self) -> list[dict[str, Any]]:
        return [
            {
                "line": line,
                "restock": self[f"line_{line.pk}"],
                "location": self[f"line_{line.pk}_location"],
                "write_off": self[f"line_{line.pk}_write_off"],
                "write_off_reason": self[f"line_{line.pk}_write_off_reason"],
                "note": self[f"line_{line.pk}_note"],
                "fields": [
                    self[f"line_{line.pk}"],
                    self[f"line_{line.pk}_location"],
                    self[f"line_{line.pk}_write_off"],
                    self[f"line_{line.pk}_write_off_reason"],
                    self[f"line_{line.pk}_note"],
                ],
            }
            for line in self.lines
        ]

    def results(self) -> list[LineInspection]:
        data = self.cleaned_data
        results = []
        for line in self.lines:
            key = f"line_{line.pk}"
            location = data.get(f"{key}_location")
            results.append(
                LineInspection(
                    line_id=line.pk,
                    restock_quantity=data.get(key) or 0,
                    location_id=location.pk if location else None,
                    write_off_quantity=data.get(f"{key}_write_off") or 0,
                    write_off_reason=data.get(f"{key}_write_off_reason") or "",
                    note=data.get(f"{key}_note") or "",
                )
            )
        return results
