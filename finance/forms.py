"""Finance forms: they parse and check what was typed; the services decide."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from ecomops.bounds import LONG_TEXT_MAX_LENGTH, MONEY_MAX, form_date, form_moment, form_money
from orders.models import InvoiceKind, Order

from .models import DeliveryMethod, MismatchKind, RedLetterReason, RemittanceDifferenceKind

DATE = forms.DateInput(attrs={"type": "date"})
DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class TaxDetailsForm(forms.Form):
    kind = forms.ChoiceField(label=_("kind"), choices=InvoiceKind.choices)
    title = forms.CharField(label=_("buyer (invoice title)"), max_length=200)
    tax_id = forms.CharField(label=_("taxpayer ID"), max_length=20, required=False)
    address_phone = forms.CharField(label=_("address and phone"), max_length=300, required=False)
    bank_account = forms.CharField(label=_("bank and account"), max_length=300, required=False)
    delivery_method = forms.ChoiceField(label=_("delivery"), choices=DeliveryMethod.choices)
    email = forms.EmailField(label=_("e-mail"), required=False)
    postal_address = forms.CharField(label=_("postal address"), max_length=300, required=False)


class InvoiceRequestForm(TaxDetailsForm):
    """Service staff key in a customer's later request for an invoice."""

    order = forms.CharField(label=_("order number"), max_length=30)
    note = forms.CharField(label=_("note"), max_length=300, required=False)

    field_order = ["order", "kind", "title", "tax_id", "address_phone", "bank_account"]

    def clean_order(self) -> Order:
        number = self.cleaned_data["order"].strip()
        order = Order.objects.filter(number__iexact=number).first()
        if order is None:
            raise forms.ValidationError(_("No order %(number)s.") % {"number": number})
        return order


class IssueForm(forms.Form):
    delivery_method = forms.ChoiceField(label=_("delivery"), choices=DeliveryMethod.choices)


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("reason"), max_length=300)


class TrackingForm(forms.Form):
    tracking_number = forms.CharField(label=_("tracking number"), max_length=40)


class RecoverForm(forms.Form):
    note = forms.CharField(
        label=_("recovery note"),
        max_length=300,
        required=False,
        help_text=_("e.g. came back with the returned goods, all copies"),
    )


class RedLetterForm(forms.Form):
    reason = forms.ChoiceField(label=_("reason"), choices=RedLetterReason.choices)
    note = forms.CharField(label=_("note"), max_length=300, required=False)

    def __init__(self, *args: Any, lines: list[Any] = (), **kwargs: Any) -> None:  # type: ignore[assignment]
        super().__init__(*args, **kwargs)
        for line in lines:
            self.fields[f"line_{line.position}"] = forms.IntegerField(
                label=f"{line.position}. {line.description}",
                min_value=0,
                max_value=line.quantity,
                initial=line.quantity,
                help_text=_("units to reverse, of %(quantity)d") % {"quantity": line.quantity},
            )

    def quantities(self) -> dict[int, int]:
        return {
            int(name.removeprefix("line_")): value
            for name, value in self.cleaned_data.items()
            if name.startswith("line_") and value
        }


class BankPaymentForm(forms.Form):
    reference = forms.CharField(label=_("bank serial number"), max_length=64)
    amount = form_money(label=_("amount"), min_value=Decimal("0.01"))
    paid_at = form_moment(label=_("paid"), widget=DATETIME)
    payer_name = forms.CharField(label=_("payer as on the statement"), max_length=200)
    note = forms.CharField(label=_("note"), max_length=300, required=False)


MATCH_LINE = re.compile(r"^\s*(\S+)\s*[,;:\s]\s*([0-9][0-9,]*(?:\.[0-9]{1,2})?)\s*$")


class MatchForm(forms.Form):
    """One line per order: ``SO000123 1200.00``."""

    lines = forms.CharField(
        label=_("orders and amounts"),
        max_length=LONG_TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4, "placeholder": "SO20261123000001 1200.00"}),
        help_text=_("One order per line: its number, a space, the amount to match."),
    )

    def clean_lines(self) -> dict[int, Decimal]:
        result: dict[int, Decimal] = {}
        errors = []
        for number, raw in enumerate(self.cleaned_data["lines"].splitlines(), start=1):
            if not raw.strip():
                continue
            match = MATCH_LINE.match(raw)
            if match is None:
                errors.append(
                    _("Line %(line)d: write the order number and the amount.") % {"line": number}
                )
                continue
            order = Order.objects.filter(number__iexact=match.group(1)).only("pk").first()
            if order is None:
                errors.append(
                    _("Line %(line)d: no order %(order)s.")
                    % {"line": number, "order": match.group(1)}
                )
                continue
            amount = Decimal(match.group(2).replace(",", ""))
            if amount > MONEY_MAX:
                errors.append(
                    _("Line %(line)d: the amount is more than %(max)s.")
                    % {"line": number, "max": f"{MONEY_MAX:,}"}
                )
                continue
            result[order.pk] = result.get(order.pk, Decimal("0")) + amount
        if errors:
            raise forms.ValidationError(errors)
        if not result:
            raise forms.ValidationError(_("Enter at least one order."))
        return result


class RefundForm(forms.Form):
    order = forms.CharField(label=_("order number"), max_length=30)
    amount = form_money(label=_("amount"), min_value=Decimal("0.01"))
    reason = forms.CharField(label=_("reason"), max_length=300)

    def clean_order(self) -> Order:
        number = self.cleaned_data["order"].strip()
        order = Order.objects.filter(number__iexact=number).first()
        if order is None:
            raise forms.ValidationError(_("No order %(number)s.") % {"number": number})
        return order


class PayRefundForm(forms.Form):
    reference = forms.CharField(label=_("payment reference"), max_length=64)


class RemittanceReceiveForm(forms.Form):
    """One transfer of the site (all it owes or a part), and what it kept back, if any."""

    bank_reference = forms.CharField(label=_("bank serial number"), max_length=64)
    amount = form_money(label=_("amount received"), min_value=Decimal("0.01"))
    paid_at = form_moment(label=pgettext_lazy("payment", "received"), widget=DATETIME)
    fee_amount = form_money(
        label=_("kept back by the site"),
        required=False,
        help_text=_("Commission or fees the site deducted from this transfer, if any."),
    )
    fee_kind = forms.ChoiceField(
        label=_("kind"),
        choices=RemittanceDifferenceKind.choices,
        initial=RemittanceDifferenceKind.COMMISSION,
        required=False,
    )
    fee_reason = forms.CharField(
        label=_("reason"),
        max_length=300,
        required=False,
        # xgettext:no-python-format
        help_text=_("e.g. the site's 5 % commission per the deal's contract"),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("fee_amount") and not (data.get("fee_reason") or "").strip():
            self.add_error("fee_reason", _("Give the reason the site kept money back."))
        data["fee_kind"] = data.get("fee_kind") or RemittanceDifferenceKind.COMMISSION
        return data


class RemittanceDifferenceForm(forms.Form):
    amount = form_money(label=_("amount"), min_value=Decimal("0.01"))
    kind = forms.ChoiceField(label=_("kind"), choices=RemittanceDifferenceKind.choices)
    reason = forms.CharField(label=_("reason"), max_length=300)


class StatementPeriodForm(forms.Form):
    """The period of a customer statement: both days included."""

    period_start = form_date(label=_("from"), widget=DATE)
    period_end = form_date(label=_("to"), widget=DATE)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("period_start"), data.get("period_end")
        if start and end:
            if end < start:
                self.add_error("period_end", _("The period ends before it starts."))
            elif (end - start).days > 366:
                self.add_error("period_end", _("A statement covers at most a year."))
        return data


class RunForm(forms.Form):
    day = form_date(label=_("day"), widget=DATE)

    def clean_day(self) -> Any:
        day = self.cleaned_data["day"]
        if day >= timezone.localdate():
            raise forms.ValidationError(_("Choose a day before today."))
        return day


class MismatchFilterForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("kind"), choices=[("", _("all")), *MismatchKind.choices], required=False
    )
    channel = forms.CharField(label=_("channel code"), max_length=40, required=False)


class SettlementForm(forms.Form):
    period_start = form_date(label=_("from"), widget=DATE)
    period_end = form_date(label=_("to"), widget=DATE)


class SearchForm(forms.Form):
    q = forms.CharField(label=_("search"), max_length=100, required=False)
