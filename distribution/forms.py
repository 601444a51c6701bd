"""Forms of the distribution desk: partners, their contacts and log, the recruitment steps,
the distributor programme and group-buying deals.

They parse what was typed; the services decide (and their refusals go back onto the form).
"""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from ecomops.accounts.names import person_name
from ecomops.accounts.roles import RoleCode
from ecomops.accounts.selectors import users_with_role
from ecomops.bounds import (
    TEXT_MAX_LENGTH,
    form_count,
    form_date,
    form_moment,
    form_money,
    form_planned_moment,
    form_quantity,
)
from listings.models import Brand, Sku, SkuState

from .models import (
    ContactMethod,
    DocumentKind,
    Partner,
    PartnerKind,
    PartnerState,
    Platform,
    ProgrammeVersion,
    ScreeningDecision,
)

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
OWNER_ROLES = (RoleCode.DISTRIBUTION_SPECIALIST, RoleCode.NETWORK_SALES)


def owner_choices(include: int | None = None) -> QuerySet[Any]:
    """Colleagues who look after partners and deals (and the present owner, if any)."""
    wanted = Q()
    for role in OWNER_ROLES:
        wanted |= Q(pk__in=users_with_role(role).values("pk"))
    if include:
        wanted |= Q(pk=include)
    return get_user_model().objects.filter(wanted).order_by("username")


class OwnerField(forms.ModelChoiceField):
    """A colleague, shown by name."""

    def label_from_instance(self, obj: Any) -> str:
        return person_name(obj)


def listed_skus() -> QuerySet[Sku]:
    return Sku.objects.filter(state=SkuState.LISTED).order_by("code")


class SkuChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.code} {obj.name}"


class SkuMultipleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.code} {obj.name}"


# --- Partners ----------------------------------------------------------------------------


class PartnerFilterForm(forms.Form):
    q = forms.CharField(label=_("search"), max_length=100, required=False)
    kind = forms.ChoiceField(
        label=_("kind"), choices=[("", _("all")), *PartnerKind.choices], required=False
    )
    state = forms.ChoiceField(
        label=_("status"), choices=[("", _("all")), *PartnerState.choices], required=False
    )
    mine = forms.BooleanField(label=_("mine only"), required=False)


class PartnerForm(forms.Form):
    """A partner's master data; ``kind`` only when the partner is new."""

    kind = forms.ChoiceField(label=_("kind"), choices=PartnerKind.choices)
    shop_name = forms.CharField(label=_("shop name"), max_length=200)
    platform = forms.ChoiceField(label=_("platform"), choices=Platform.choices)
    shop_url = forms.URLField(
        label=_("shop URL"), max_length=500, required=False, assume_scheme="https"
    )
    company_name = forms.CharField(label=_("company name"), max_length=200, required=False)
    credit_code = forms.CharField(
        label=_("unified social credit code"), max_length=18, required=False
    )
    company_address = forms.CharField(label=_("company address"), max_length=300, required=False)
    legal_representative = forms.CharField(
        label=_("legal representative"), max_length=100, required=False
    )
    owner = OwnerField(label=_("owner"), queryset=owner_choices())
    notes = forms.CharField(
        label=_("notes"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=TEXT_MAX_LENGTH,
    )

    def __init__(self, *args: Any, partner: Partner | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if partner is not None:
            owner = cast(OwnerField, self.fields["owner"])
            owner.queryset = owner_choices(include=partner.owner_id)
            del self.fields["kind"]

    @classmethod
    def for_partner(cls, partner: Partner, data: Any = None) -> PartnerForm:
        initial = {name: getattr(partner, name) for name in cls.base_fields if name != "owner"}
        initial["owner"] = partner.owner_id
        return cls(data, initial=initial, partner=partner)

    def service_data(self) -> dict[str, Any]:
        skip = {"kind", "owner"}
        return {k: v for k, v in self.cleaned_data.items() if k not in skip}


class PartnerContactForm(forms.Form):
    name = forms.CharField(label=_("name"), max_length=100)
    title = forms.CharField(label=pgettext_lazy("job", "position"), max_length=100, required=False)
    phone = forms.CharField(label=_("phone"), max_length=20, required=False)
    wechat = forms.CharField(label=_("WeChat"), max_length=50, required=False)
    email = forms.EmailField(label=_("e-mail"), required=False)
    primary = forms.BooleanField(label=_("main contact"), required=False)


class ContactLogForm(forms.Form):
    at = form_moment(label=_("when"), widget=DATETIME)
    method = forms.ChoiceField(label=_("by"), choices=ContactMethod.choices)
    summary = forms.CharField(
        label=_("what was said"), widget=forms.Textarea(attrs={"rows": 3}), max_length=4000
    )
    outcome = forms.CharField(label=_("outcome"), max_length=300, required=False)
    next_step = forms.CharField(label=_("next step"), max_length=300, required=False)
    next_step_due = form_planned_moment(label=_("next step due"), widget=DATETIME, required=False)

    @classmethod
    def blank(cls, **kwargs: Any) -> ContactLogForm:
        now = timezone.localtime().replace(second=0, microsecond=0)
        return cls(initial={"at": now}, **kwargs)


# --- Recruitment steps (each posted to partner_action) -------------------------------------


class StepForm(forms.Form):
    """A step without input: one button."""


class FirstContactForm(forms.Form):
    skus = SkuMultipleChoiceField(
        label=_("products recommended"),
        queryset=listed_skus(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )
    note = forms.CharField(
        label=_("what was recommended"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        max_length=4000,
    )


class NoteForm(forms.Form):
    note = forms.CharField(label=pgettext_lazy("remark", "note"), max_length=300, required=False)


class FirstOrderForm(forms.Form):
    order_number = forms.CharField(
        label=_("order number"),
        max_length=64,
        help_text=_("Our order number or the agent's own, on the agent's channel."),
    )


class ApplicationForm(forms.Form):
    shop_rating = forms.DecimalField(
        label=_("shop rating"), min_value=0, max_value=5, max_digits=3, decimal_places=2
    )
    monthly_sales = form_count(label=_("monthly sales (CNY)"))
    years_open = forms.DecimalField(
        label=_("years open"), min_value=0, max_value=100, max_digits=4, decimal_places=1
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("reason"), max_length=500)


class AuthorizationForm(forms.Form):
    brands = forms.ModelMultipleChoiceField(
        label=_("brands"),
        queryset=Brand.objects.order_by("name"),
        widget=forms.CheckboxSelectMultiple,
    )
    channels = forms.MultipleChoiceField(
        label=_("authorized platforms"),
        choices=Platform.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    territory = forms.CharField(
        label=_("territory"),
        max_length=200,
        required=False,
        help_text=_("Empty: no restriction."),
    )
    valid_from = form_date(planned=True, label=_("valid from"), widget=DATE)
    valid_until = form_date(planned=True, label=_("valid until"), widget=DATE)


# --- Distributor programme ----------------------------------------------------------------


class ProgrammeForm(forms.Form):
    title = forms.CharField(label=_("title"), max_length=200)
    introduction = forms.CharField(
        label=_("introduction"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=TEXT_MAX_LENGTH,
    )
    benefits = forms.CharField(
        label=_("what distributors get"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=TEXT_MAX_LENGTH,
        help_text=_("One per line."),
    )
    rules = forms.CharField(
        label=_("programme rules"),
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=TEXT_MAX_LENGTH,
        help_text=_("One rule per line."),
    )
    discount_percent = forms.DecimalField(
        label=_("distributor discount (%)"),
        min_value=0,
        max_value=100,
        max_digits=5,
        decimal_places=2,
    )
    contact = forms.CharField(label=_("how to apply"), max_length=300)

    @classmethod
    def for_version(cls, version: ProgrammeVersion | None, data: Any = None) -> ProgrammeForm:
        initial = {}
        if version is not None:
            initial = {name: getattr(version, name) for name in cls.base_fields}
        return cls(data, initial=initial)


class ScreenForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("decision"), choices=ScreeningDecision.choices, widget=forms.RadioSelect
    )
    note = forms.CharField(
        label=pgettext_lazy("remark", "note"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=4000,
        help_text=_("Needed to decline, or to accept a shop that misses a criterion."),
    )


# --- Group-buying deals -------------------------------------------------------------------


class DealFilterForm(forms.Form):
    mine = forms.BooleanField(label=_("mine only"), required=False)


class SiteField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.shop_name} ({obj.get_platform_display()})"


def open_sites() -> QuerySet[Partner]:
    return Partner.objects.filter(kind=PartnerKind.GROUP_BUYING).exclude(
        state__in=[PartnerState.TERMINATED, PartnerState.DECLINED, PartnerState.SUSPENDED]
    )


class DealForm(forms.Form):
    partner = SiteField(
        label=_("group-buying site"), queryset=open_sites().order_by("shop_name", "pk")
    )
    title = forms.CharField(label=_("title"), max_length=200)
    owner = OwnerField(label=_("owner"), queryset=owner_choices())
    notes = forms.CharField(
        label=_("notes"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=TEXT_MAX_LENGTH,
    )


class DealLineForm(forms.Form):
    sku = SkuChoiceField(label=_("SKU"), queryset=listed_skus())
    group_price = form_money(label=_("group price"))
    min_quantity = form_quantity(label=_("minimum quantity"))
    estimated_quantity = form_count(label=_("estimated quantity"), min_value=1)


class DocumentForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("kind"),
        choices=[c for c in DocumentKind.choices if c[0] != DocumentKind.QUOTE_SHEET],
    )
    title = forms.CharField(label=_("title"), max_length=200, required=False)
    file = forms.FileField(
        label=_("file"), help_text=_("PDF, JPEG or PNG."), allow_empty_file=False
    )


class ScheduleForm(forms.Form):
    listing_date = form_date(planned=True, label=_("listing date"), widget=DATE)
    end_date = form_date(planned=True, label=_("last day"), widget=DATE)


class ContentForm(forms.Form):
    note = forms.CharField(
        label=_("images and texts"),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=4000,
        help_text=_("What was prepared and where the site finds it."),
    )


class RemittanceForm(forms.Form):
    amount = form_money(label=_("amount expected"))
    due = form_date(planned=True, label=_("due on"), widget=DATE)


class CloseForm(forms.Form):
    lessons = forms.CharField(
        label=_("remarks"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=4000,
        help_text=_("What went well, what to do differently next time."),
    )
