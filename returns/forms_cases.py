"""Forms of the after-sales desk (cases, callbacks) and the reply-script knowledge base.

They parse what was typed and find the customer and order it names; the services decide.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from ecomops.accounts.names import person_name
from ecomops.bounds import TEXT_MAX_LENGTH, form_date, form_id, form_planned_moment
from orders.models import Customer, Order

from .models import (
    AfterSalesCase,
    CallbackOutcome,
    CaseCategory,
    CaseState,
    ReturnRequest,
    ScriptAudience,
    ScriptCategory,
)
from .selectors.cases import case_owners

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class OwnerField(forms.ModelChoiceField):
    """A colleague who works on after-sales cases, shown by name."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(queryset=case_owners(), **kwargs)

    def label_from_instance(self, obj: Any) -> str:
        return person_name(obj)


class CustomerLookupForm(forms.Form):
    """Names the customer by an order number, a phone number, or (from a link) their id."""

    customer = form_id(required=False)
    order = forms.CharField(
        label=_("order number"),
        max_length=30,
        required=False,
        help_text=_("The customer is the order's customer."),
    )
    phone = forms.CharField(
        label=_("customer's phone"),
        max_length=20,
        required=False,
        help_text=_("When there is no order to name."),
    )

    def clean(self) -> dict[str, Any]:
        data = self.cleaned_data
        number = (data.get("order") or "").strip()
        phone = (data.get("phone") or "").strip()
        order = customer = None
        if number:
            order = Order.objects.select_related("customer").filter(number__iexact=number).first()
            if order is None:
                self.add_error("order", _("No order %(number)s.") % {"number": number})
                return data
            if order.customer is None:
                self.add_error(
                    "order",
                    _("Order %(number)s has no identified customer yet.") % {"number": number},
                )
                return data
        if data.get("customer"):
            customer = Customer.objects.filter(pk=data["customer"]).first()
        elif order is not None:
            customer = order.customer
        elif phone:
            matches = list(Customer.objects.filter(phone=phone, merged_into__isnull=True)[:2])
            if not matches:
                self.add_error("phone", _("No customer with this phone."))
                return data
            if len(matches) > 1:
                self.add_error(
                    "phone", _("Several customers have this phone: give the order number.")
                )
                return data
            customer = matches[0]
        if customer is None:
            raise forms.ValidationError(_("Name the customer: an order number or a phone."))
        data["customer_obj"] = customer
        data["order_obj"] = order
        return data


# --- Cases -------------------------------------------------------------------------------


class CaseForm(CustomerLookupForm):
    return_request = form_id(required=False)
    category = forms.ChoiceField(
        label=pgettext_lazy("classification", "category"), choices=CaseCategory.choices
    )
    problem = forms.CharField(
        label=_("problem"), widget=forms.Textarea(attrs={"rows": 4}), max_length=4000
    )
    owner = OwnerField(label=_("owner"), required=False, help_text=_("You, when left empty."))

    def clean_return_request(self) -> ReturnRequest | None:
        pk = self.cleaned_data.get("return_request")
        return ReturnRequest.objects.filter(pk=pk).first() if pk else None


class CaseUpdateForm(forms.Form):
    category = forms.ChoiceField(
        label=pgettext_lazy("classification", "category"), choices=CaseCategory.choices
    )
    problem = forms.CharField(
        label=_("problem"), widget=forms.Textarea(attrs={"rows": 3}), max_length=4000
    )
    cause = forms.CharField(
        label=_("cause"), widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=4000
    )
    owner = OwnerField(label=_("owner"))

    @classmethod
    def for_case(cls, case: AfterSalesCase, data: Any = None) -> CaseUpdateForm:
        return cls(
            data,
            initial={
                "category": case.category,
                "problem": case.problem,
                "cause": case.cause,
                "owner": case.owner_id,
            },
        )


class ResolveForm(forms.Form):
    cause = forms.CharField(
        label=_("cause"), widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=4000
    )
    resolution = forms.CharField(
        label=_("resolution"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=4000,
        error_messages={"required": _("Say how the problem was resolved.")},
    )


class ReopenForm(forms.Form):
    reason = forms.CharField(label=_("why reopen"), max_length=300)


class CaseFilterForm(forms.Form):
    q = forms.CharField(label=_("search"), max_length=100, required=False)
    state = forms.ChoiceField(
        label=_("status"), choices=[("", _("all")), *CaseState.choices], required=False
    )
    mine = forms.BooleanField(label=_("mine only"), required=False)


# --- Callbacks ---------------------------------------------------------------------------


class CallbackForm(CustomerLookupForm):
    case = form_id(required=False)
    purpose = forms.CharField(label=_("purpose"), max_length=300)
    scheduled_at = form_planned_moment(label=_("call at"), widget=DATETIME)
    owner = OwnerField(label=_("owner"), required=False, help_text=_("You, when left empty."))

    def clean(self) -> dict[str, Any]:
        case_id = self.cleaned_data.get("case")
        if not case_id:
            data = super().clean()
            data["case_obj"] = None
            return data
        # A callback about a case is with the case's customer, about the case's order.
        case = AfterSalesCase.objects.select_related("customer", "order").filter(pk=case_id).first()
        if case is None:
            raise forms.ValidationError(_("No such case."))
        self.cleaned_data.update(customer_obj=case.customer, order_obj=case.order, case_obj=case)
        return self.cleaned_data


class OutcomeForm(forms.Form):
    outcome = forms.ChoiceField(label=_("outcome"), choices=CallbackOutcome.choices)
    note = forms.CharField(
        label=_("what the customer said"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=4000,
    )


class RescheduleForm(forms.Form):
    scheduled_at = form_planned_moment(label=_("new time"), widget=DATETIME)


# --- Reply scripts -----------------------------------------------------------------------


class ScriptForm(forms.Form):
    category = forms.ChoiceField(
        label=pgettext_lazy("classification", "category"), choices=ScriptCategory.choices
    )
    audience = forms.ChoiceField(
        label=_("for"), choices=ScriptAudience.choices, initial=ScriptAudience.BOTH
    )
    question = forms.CharField(label=_("question"), max_length=300)
    answer = forms.CharField(
        label=_("answer"), max_length=TEXT_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 6})
    )


class ScriptEditForm(ScriptForm):
    active = forms.BooleanField(label=_("in use"), required=False)
    change_note = forms.CharField(
        label=_("what changed and why"),
        max_length=100,
        required=False,
        help_text=_("Kept in the script's history."),
    )


class ScriptSearchForm(forms.Form):
    q = forms.CharField(
        label=_("search"),
        max_length=100,
        required=False,
        help_text=_("Every word must appear; separate words with spaces."),
    )
    category = forms.ChoiceField(
        label=pgettext_lazy("classification", "category"),
        choices=[("", _("all")), *ScriptCategory.choices],
        required=False,
    )
    audience = forms.ChoiceField(
        label=_("for"), choices=[("", _("all")), *ScriptAudience.choices], required=False
    )
    inactive = forms.BooleanField(label=_("include scripts out of use"), required=False)


class DayForm(forms.Form):
    day = form_date(planned=True, label=_("day"), widget=DATE)
