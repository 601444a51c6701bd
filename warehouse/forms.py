"""Forms of the warehouse portal: they parse input; the services hold the rules."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from ecomops.bounds import QUANTITY_MAX, BoundedFileField, form_date, form_quantity, form_search
from ecomops.cutoffs import known_slots
from listings.models import Sku

from .models import Carrier, Location, NoteState
from .services.waybills import MAX_RANGE

# The largest waybill number a range may name: 18 digits (carriers' run 12 to 15), within
# the range's 64-bit columns.
WAYBILL_NUMBER_MAX = 10**18 - 1


class SkuField(forms.CharField):
    """A SKU by its code or barcode (scanners type the barcode)."""

    def clean(self, value: Any) -> Sku:
        code = super().clean(value).strip()
        sku = Sku.objects.filter(code=code).first() or Sku.objects.filter(barcode=code).first()
        if sku is None:
            raise forms.ValidationError(
                _("No SKU has the code or barcode %(code)s."), params={"code": code}
            )
        return sku


class LocationField(forms.CharField):
    def clean(self, value: Any) -> Location:
        code = super().clean(value).strip()
        location = Location.objects.filter(code=code, active=True).first()
        if location is None:
            raise forms.ValidationError(
                _("No location in use has the code %(code)s."), params={"code": code}
            )
        return location


class ReceiveForm(forms.Form):
    sku = SkuField(label=_("SKU code or barcode"), max_length=40)
    location = LocationField(label=_("Location"), max_length=20)
    quantity = form_quantity(label=_("Quantity"))
    reference = forms.CharField(
        label=_("Reference (delivery slip, PO)"), max_length=60, required=False
    )


class AdjustForm(forms.Form):
    sku = SkuField(label=_("SKU code or barcode"), max_length=40)
    location = LocationField(label=_("Location"), max_length=20)
    change = forms.IntegerField(
        label=pgettext_lazy("stock count", "Change"),
        min_value=-QUANTITY_MAX,
        max_value=QUANTITY_MAX,
        help_text=_("Positive: found more. Negative: missing or damaged."),
    )
    reason = forms.CharField(label=_("Reason"), max_length=300)


class StockSearchForm(forms.Form):
    q = form_search(label=_("SKU, name or barcode"))
    location = form_search(label=_("Location"))
    available = forms.BooleanField(label=_("Only with stock available"), required=False)


class OrdersForm(forms.Form):
    """Orders ticked in the allocation queue."""

    orders = forms.TypedMultipleChoiceField(coerce=int, label=_("Orders"))

    def __init__(self, *args: Any, order_ids: list[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast(forms.TypedMultipleChoiceField, self.fields["orders"])
        field.choices = [(pk, pk) for pk in order_ids]
        self.fields["orders"].error_messages["required"] = _("Tick at least one order.")


def _cut_choices() -> list[tuple[int, str]]:
    return [(slot, f"{slot:02d}:00") for slot in known_slots()]


class ReleaseForm(forms.Form):
    batch_date = form_date(
        planned=True, label=_("Batch date"), widget=forms.DateInput(attrs={"type": "date"})
    )
    # A callable: the cut hours are data (ecomops.cutoffs), read when the form is shown.
    slot = forms.TypedChoiceField(label=_("Cut"), coerce=int, choices=_cut_choices)


class PickForm(forms.Form):
    picked_quantity = form_quantity(label=_("Picked"), min_value=0)
    reason = forms.CharField(label=_("Why short"), max_length=200, required=False)


class ScanForm(forms.Form):
    code = forms.CharField(
        label=_("Scan"),
        max_length=64,
        widget=forms.TextInput(
            attrs={"autofocus": True, "autocomplete": "off", "inputmode": "none"}
        ),
    )


class CloseParcelForm(forms.Form):
    weight_grams = forms.IntegerField(label=_("Weight (g)"), min_value=1, max_value=1_000_000)
    waybill_number = forms.CharField(
        label=_("Waybill number"),
        max_length=40,
        required=False,
        help_text=_("Leave empty to take the carrier's next number."),
    )


class SignManifestForm(forms.Form):
    courier_name = forms.CharField(label=_("Courier's name"), max_length=100)
    counted = form_quantity(label=_("Parcels counted by the courier"), min_value=0)


class NoteSearchForm(forms.Form):
    q = form_search(label=_("Delivery note or order number"))
    state = forms.ChoiceField(
        label=_("State"), choices=[("", _("All")), *NoteState.choices], required=False
    )


class ConfirmationDoneForm(forms.Form):
    reason = forms.CharField(
        label=_("How was the shipment confirmed to the channel?"),
        max_length=300,
        widget=forms.TextInput(attrs={"size": 60}),
        help_text=_("E.g. typed into the seller centre by hand, with the waybill number."),
    )


# -- e-waybill accounts and carrier changes (issue 21) --


class WaybillRangeForm(forms.Form):
    """号段: a range of waybill numbers the carrier gave the account."""

    number_prefix = forms.CharField(label=_("prefix"), max_length=10, required=False)
    first = forms.IntegerField(label=_("first number"), min_value=0, max_value=WAYBILL_NUMBER_MAX)
    last = forms.IntegerField(label=_("last number"), min_value=0, max_value=WAYBILL_NUMBER_MAX)

    def clean(self) -> dict[str, Any]:
        """A range of more than ``MAX_RANGE`` numbers is refused here, by its two ends: nothing
        ever counts or lists its numbers."""
        data = super().clean() or {}
        first, last = data.get("first"), data.get("last")
        if first is not None and last is not None and last - first + 1 > MAX_RANGE:
            self.add_error(
                "last",
                _("At most %(max)s numbers at once.") % {"max": f"{MAX_RANGE:,}"},
            )
        return data


class WaybillNumbersForm(forms.Form):
    """A list of waybill numbers, typed or pasted, or a file of them (one a line, or the
    first column of a CSV)."""

    numbers = forms.CharField(
        label=_("waybill numbers"),
        max_length=settings.WAYBILL_LIST_MAX_BYTES,
        widget=forms.Textarea(attrs={"rows": 6}),
        required=False,
        help_text=_("One number a line."),
    )
    file = BoundedFileField(
        max_bytes=settings.WAYBILL_LIST_MAX_BYTES,
        label=_("or a file of numbers"),
        required=False,
        help_text=_("Text or CSV, UTF-8: one number a line, or the first column."),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        text = data.get("numbers") or ""
        upload = data.get("file")
        if upload is not None:
            try:
                text += "\n" + upload.read().decode("utf-8-sig")
            except UnicodeDecodeError:
                self.add_error("file", _("The file is not UTF-8 text."))
        if not text.strip() and not self.errors:
            raise forms.ValidationError(_("Type the numbers or choose a file."))
        data["text"] = text
        return data


class NoteCarrierForm(forms.Form):
    """Send a delivery note with another carrier (before packing)."""

    carrier = forms.ModelChoiceField(
        label=_("carrier"), queryset=Carrier.objects.filter(active=True).order_by("code")
    )
    reason = forms.CharField(label=_("reason"), max_length=300)
