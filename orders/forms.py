from __future__ import annotations

from collections.abc import Iterable
from typing import Any, cast

from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from ecomops.bounds import (
    LONG_TEXT_MAX_LENGTH,
    SEARCH_MAX_LENGTH,
    TEXT_MAX_LENGTH,
    form_date,
    form_id,
    form_moment,
    form_money,
)

from .models import (
    CUSTOMER_FIELDS,
    Channel,
    Customer,
    CustomerKind,
    HoldKind,
    InvoiceKind,
    OpeningProcess,
    OpeningState,
    OrderState,
)

DATE = forms.DateInput(attrs={"type": "date"})
DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class OrderSearchForm(forms.Form):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=SEARCH_MAX_LENGTH,
        widget=forms.TextInput(
            attrs={"placeholder": _("Order number, channel order number, phone or name")}
        ),
    )
    channel = forms.ModelChoiceField(
        label=_("Channel"), queryset=Channel.objects.order_by("code"), required=False
    )
    state = forms.ChoiceField(
        label=_("State"), choices=[("", _("Any state")), *OrderState.choices], required=False
    )
    date_from = form_date(label=_("Accepted from"), required=False, widget=DATE)
    date_to = form_date(label=_("Accepted until"), required=False, widget=DATE)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The end date is before the start date."))
        return data


class CustomerSearchForm(forms.Form):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=SEARCH_MAX_LENGTH,
        widget=forms.TextInput(attrs={"placeholder": _("Name, phone, ID number or credit code")}),
    )
    kind = forms.ChoiceField(
        label=_("Kind"), choices=[("", _("Any kind")), *CustomerKind.choices], required=False
    )


class HoldForm(forms.Form):
    kind = forms.ChoiceField(label=_("Hold"), choices=HoldKind.choices)
    reason = forms.CharField(label=_("Reason"), max_length=300)


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=300)


class NoteForm(forms.Form):
    text = forms.CharField(
        label=_("Note"), max_length=TEXT_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 2})
    )


class BulkForm(forms.Form):
    ACTIONS = [
        ("confirm", _("Confirm")),
        ("hold", _("Put on hold")),
        ("release_hold", _("Release from hold")),
    ]
    action = forms.ChoiceField(label=pgettext_lazy("bulk action", "Action"), choices=ACTIONS)
    orders = forms.TypedMultipleChoiceField(label=_("Orders"), coerce=int, choices=[])
    kind = forms.ChoiceField(
        label=_("Hold"), choices=[("", "—"), *HoldKind.choices], required=False
    )
    reason = forms.CharField(label=_("Reason"), max_length=300, required=False)

    def __init__(self, *args: Any, order_ids: list[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["orders"].choices = [(pk, pk) for pk in order_ids]  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("action") == "hold":
            if not data.get("kind"):
                self.add_error("kind", _("Choose why the orders are held."))
            if not data.get("reason"):
                self.add_error("reason", _("Give a reason."))
        return data


class CustomerForm(forms.ModelForm[Customer]):
    """Master data, for creating a customer or correcting one (old values are kept)."""

    reason = forms.CharField(
        label=_("Why the change"),
        max_length=300,
        required=False,
        help_text=_("Kept in the customer's history with the old values."),
    )

    class Meta:
        model = Customer
        fields = list(CUSTOMER_FIELDS)


class MergeForm(forms.Form):
    into = forms.ModelChoiceField(
        label=_("Merge into"),
        queryset=Customer.objects.none(),
        help_text=_("The customer that stays; this one's orders move there."),
    )
    reason = forms.CharField(label=_("Reason"), max_length=300, required=False)

    def __init__(self, *args: Any, targets: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["into"].queryset = targets  # type: ignore[attr-defined]


class MappingForm(forms.Form):
    outer_id = forms.CharField(label=_("Platform SKU code"), max_length=64)
    sku_code = forms.CharField(label=_("Our SKU code"), max_length=40)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class ExportFilesField(forms.FileField):
    """The export's files in one field: the two reports, a workbook, or one zip."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ".csv,.xlsx,.zip,.txt"}))
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> Any:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data]
        return [single(data, initial)]


class ImportForm(forms.Form):
    channel = forms.ModelChoiceField(
        label=_("Channel"),
        queryset=Channel.objects.filter(
            active=True, kind__in=["tmall", "taobao", "jd", "pinduoduo", "douyin"]
        ).order_by("code"),
        help_text=_("The export is read in the layout of the channel's platform."),
    )
    exports = ExportFilesField(
        label=_("Export files"),
        help_text=_(
            "As downloaded from the seller centre: Taobao/Tmall the order report "
            "(ExportOrderList…) and the item report (ExportOrderDetailList…) together, as CSV "
            "or xlsx, or both in one zip; JD, Pinduoduo and Douyin shop their order export. "
            "Select several files at once."
        ),
    )


class ImportMappingForm(forms.Form):
    """Map an unknown code of an upload to one of our listed SKUs (by code or name)."""

    code = forms.CharField(widget=forms.HiddenInput, max_length=64)
    sku_code = forms.CharField(label=_("Our SKU"), max_length=64)


class ManualOrderForm(forms.Form):
    """An order keyed in by service staff (phone or WeChat orders): the intake rules apply."""

    channel = forms.ModelChoiceField(
        label=_("Channel"), queryset=Channel.objects.filter(active=True).order_by("code")
    )
    external_id = forms.CharField(
        label=_("Channel order number"),
        max_length=64,
        required=False,
        help_text=_("Leave empty for an order taken by phone: a number is given."),
    )
    placed_at = form_moment(label=_("Placed"), widget=DATETIME)
    paid_at = form_moment(
        label=pgettext_lazy("time", "Paid"),
        widget=DATETIME,
        required=False,
        help_text=_("Empty for an on-account order not yet paid."),
    )
    customer_kind = forms.ChoiceField(label=_("Customer kind"), choices=CustomerKind.choices)
    customer_name = forms.CharField(label=_("Customer name"), max_length=200)
    customer_phone = forms.CharField(label=_("Phone"), max_length=30)
    customer_id_number = forms.CharField(label=_("ID number"), max_length=30, required=False)
    customer_credit_code = forms.CharField(
        label=_("Unified social credit code"), max_length=30, required=False
    )
    customer_contact_person = forms.CharField(
        label=_("Responsible person"), max_length=100, required=False
    )
    customer_postcode = forms.CharField(label=_("Postcode"), max_length=10, required=False)
    customer_province = forms.CharField(label=_("Province"), max_length=50)
    customer_city = forms.CharField(label=_("City"), max_length=50)
    customer_district = forms.CharField(label=_("District"), max_length=50, required=False)
    customer_street_address = forms.CharField(label=_("Street address"), max_length=300)
    lines = forms.CharField(
        label=_("Lines"),
        max_length=LONG_TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4, "placeholder": "SKU-0001, 2, 99.00"}),
        help_text=_("One line per SKU: code, quantity, unit price."),
    )
    shipping_fee = form_money(label=_("Shipping fee"), required=False)
    discount_amount = form_money(
        label=_("Discounts and coupons"),
        required=False,
        help_text=_("Shared over the lines in proportion to their amounts."),
    )
    paid_amount = form_money(
        label=_("Paid by the buyer"),
        required=False,
        help_text=_("Empty: the whole total when paid, nothing when not paid yet."),
    )
    needs_invoice = forms.BooleanField(label=_("Needs an invoice"), required=False)
    invoice_kind = forms.ChoiceField(
        label=_("Invoice kind"), choices=[("", "—"), *InvoiceKind.choices], required=False
    )
    invoice_title = forms.CharField(label=_("Invoice title"), max_length=200, required=False)
    invoice_tax_id = forms.CharField(label=_("Taxpayer ID"), max_length=30, required=False)
    invoice_address_phone = forms.CharField(
        label=_("Registered address and phone"), max_length=300, required=False
    )
    invoice_bank_account = forms.CharField(
        label=_("Bank and account"), max_length=300, required=False
    )
    buyer_note = forms.CharField(
        label=_("Buyer note"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        max_length=TEXT_MAX_LENGTH,
    )

    # Intake reports errors by payload path; these are the form fields they belong to.
    PATHS = {
        "customer.kind": "customer_kind",
        "customer.name": "customer_name",
        "customer.phone": "customer_phone",
        "customer.id_number": "customer_id_number",
        "customer.credit_code": "customer_credit_code",
        "customer.contact_person": "customer_contact_person",
        "customer.postcode": "customer_postcode",
        "customer.street_address": "customer_street_address",
        "shipping_address.phone": "customer_phone",
        "shipping_address.name": "customer_name",
        "shipping_address.province": "customer_province",
        "shipping_address.city": "customer_city",
        "shipping_address.street_address": "customer_street_address",
        "shipping_address.postcode": "customer_postcode",
        "invoice.kind": "invoice_kind",
        "invoice.title": "invoice_title",
        "invoice.tax_id": "invoice_tax_id",
        "invoice.address_phone": "invoice_address_phone",
        "invoice.bank_account": "invoice_bank_account",
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["placed_at"].initial = timezone.localtime().replace(second=0, microsecond=0)

    def clean_lines(self) -> list[dict[str, Any]]:
        lines = []
        for number, raw in enumerate(self.cleaned_data["lines"].splitlines(), start=1):
            if not raw.strip():
                continue
            parts = [p.strip() for p in raw.replace("，", ",").split(",")]
            if len(parts) != 3:
                raise forms.ValidationError(
                    _("Line %(number)d: write code, quantity, unit price.") % {"number": number}
                )
            try:
                quantity: int | str = int(parts[1])
            except ValueError:
                quantity = parts[1]
            lines.append({"sku": parts[0], "quantity": quantity, "unit_price": parts[2]})
        if not lines:
            raise forms.ValidationError(_("An order needs at least one line."))
        return lines

    def payload(self) -> dict[str, Any]:
        d = self.cleaned_data
        customer = {
            key: d.get(f"customer_{key}", "")
            for key in (
                "name",
                "phone",
                "id_number",
                "credit_code",
                "contact_person",
                "postcode",
                "province",
                "city",
                "district",
                "street_address",
            )
        }
        customer["kind"] = d["customer_kind"]
        money = {
            key: str(d[key])
            for key in ("shipping_fee", "discount_amount", "paid_amount")
            if d.get(key) is not None
        }
        return {
            **money,
            "external_id": d.get("external_id", ""),
            "placed_at": d["placed_at"],
            "paid_at": d.get("paid_at"),
            "customer": customer,
            "lines": d["lines"],
            "needs_invoice": d.get("needs_invoice", False),
            "invoice": {
                "kind": d.get("invoice_kind", ""),
                "title": d.get("invoice_title", ""),
                "tax_id": d.get("invoice_tax_id", ""),
                "address_phone": d.get("invoice_address_phone", ""),
                "bank_account": d.get("invoice_bank_account", ""),
            },
            "buyer_note": d.get("buyer_note", ""),
        }

    def add_intake_errors(self, fields: dict[str, list[str]]) -> None:
        for path, messages in fields.items():
            name = self.PATHS.get(path)
            if name is None and path.startswith("lines"):
                name = "lines"
            elif name is None and path in self.fields:
                name = path
            for message in messages:
                prefix = f"{path}: " if name == "lines" and path != "lines" else ""
                self.add_error(name, f"{prefix}{message}")


# --- Shop opening (开店) -------------------------------------------------------------------

SHOP_DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ShopOpeningFilterForm(forms.Form):
    state = forms.ChoiceField(
        label=_("State"), choices=[("", _("Any state")), *OpeningState.choices], required=False
    )


class ShopOpeningForm(forms.Form):
    """A new shop: the platform (one with an active opening process) and its channel."""

    platform = forms.ChoiceField(label=_("Platform"), choices=[])
    code = forms.CharField(
        label=_("Channel code"),
        max_length=40,
        help_text=_(
            "Short and unique, letters, digits and hyphens, e.g. tmall-home: the shop's "
            "orders are pushed to /api/v1/channels/<code>/orders."
        ),
    )
    name = forms.CharField(
        label=_("Shop name"), max_length=100, help_text=_("The shop's name on the platform.")
    )
    company_name = forms.CharField(
        label=_("Applying company"),
        max_length=200,
        help_text=_("The company that opens the shop, as on its business licence."),
    )

    def __init__(self, *args: Any, processes: Iterable[OpeningProcess], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        platform = cast(forms.ChoiceField, self.fields["platform"])
        platform.choices = [("", "—"), *((p.platform, p.name) for p in processes)]


class ShopStepForm(forms.Form):
    """Mark one step done (the step is posted with it)."""

    step = form_id()
    note = forms.CharField(label=_("Note"), max_length=500, required=False)


class ShopDocumentForm(forms.Form):
    """Upload one document of the type posted with it."""

    document_type = form_id()
    file = forms.FileField(label=_("File"))
    licence_number = forms.CharField(label=_("Licence number"), max_length=100, required=False)
    expires_on = form_date(planned=True, label=_("Expires on"), widget=SHOP_DATE, required=False)
    long_term = forms.BooleanField(
        label=_("Long-term"),
        required=False,
        help_text=_("The document is valid without an end date."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = _("PDF, JPEG or PNG, at most %(size)s.") % {
            "size": filesizeformat(settings.SHOP_DOCUMENT_MAX_BYTES)
        }


class ShopActionForm(forms.Form):
    """A step without input: one button (its refusal shows beside it)."""


class ShopReviewPassForm(forms.Form):
    step = form_id()
    note = forms.CharField(
        label=_("Note"),
        max_length=500,
        required=False,
        help_text=_("What the platform said, if anything."),
    )


class ShopReviewRejectForm(forms.Form):
    step = form_id()
    reason = forms.CharField(
        label=_("The platform's reason"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("In the platform's words; the shop manager is told and it is kept."),
    )


class ShopAbandonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=300)
