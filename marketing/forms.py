"""Forms of the marketing desk: campaigns, their plans and SKUs, and each step of a campaign.

They parse what was typed; the services decide (and their refusals go back onto the form).
"""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from ecomops.accounts.names import person_name
from ecomops.accounts.roles import RoleCode
from ecomops.accounts.selectors import users_with_role
from ecomops.bounds import form_count, form_date, form_id, form_money, form_planned_moment

from .models import CampaignPlan, CampaignState

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


def money_field(label: Any) -> forms.DecimalField:
    """An amount in yuan, to the fen, within the kernel's bounds."""
    return form_money(label=label)


def owner_choices(include: int | None = None) -> QuerySet[Any]:
    """Colleagues of the brand promotion team (and ``include``, e.g. the manager creating)."""
    wanted = Q(pk__in=users_with_role(RoleCode.PROMOTION).values("pk"))
    if include:
        wanted |= Q(pk=include)
    return get_user_model().objects.filter(wanted).order_by("username")


class OwnerField(forms.ModelChoiceField):
    """A colleague, shown by name."""

    def label_from_instance(self, obj: Any) -> str:
        return person_name(obj)


class CampaignFilterForm(forms.Form):
    q = forms.CharField(label=_("search"), max_length=100, required=False)
    state = forms.ChoiceField(
        label=_("status"), choices=[("", _("all")), *CampaignState.choices], required=False
    )


class CampaignForm(forms.Form):
    """A campaign's name, goal and window (in company time); its owner when it is new."""

    name = forms.CharField(label=_("name"), max_length=200)
    goal = forms.CharField(
        label=_("goal"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=4000,
        help_text=_("What the campaign should achieve, e.g. clear the spring stock."),
    )
    live_from = form_planned_moment(label=_("window starts"), widget=DATETIME)
    live_until = form_planned_moment(label=_("window ends"), widget=DATETIME)
    owner = OwnerField(label=_("owner"), queryset=owner_choices())

    def __init__(
        self, *args: Any, user: Any = None, with_owner: bool = True, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        if not with_owner:
            del self.fields["owner"]
        else:
            owner = cast(OwnerField, self.fields["owner"])
            owner.queryset = owner_choices(include=getattr(user, "pk", None))


class PlanForm(forms.Form):
    """A promotion plan; ``plan_id`` names the plan changed (empty: a new plan)."""

    plan_id = form_id(required=False)
    name = forms.CharField(label=_("name"), max_length=100)
    mechanics = forms.CharField(
        label=_("mechanics"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=4000,
        help_text=_("How the promotion works, e.g. a discount, money off above an amount, gifts."),
    )
    target_sales = money_field(_("target sales"))
    budget = money_field(_("budget"))
    notes = forms.CharField(
        label=_("notes"), widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=4000
    )


class PlanLineForm(forms.Form):
    """One SKU of a plan (``plan``): adding a SKU already in the plan changes its line."""

    plan = form_id()
    sku = forms.CharField(label=_("SKU code"), max_length=64)
    campaign_price = money_field(_("campaign price"))
    target_units = form_count(label=_("target units"))
    below_subsidy_reason = forms.CharField(
        label=_("reason for pricing below the base subsidy price"),
        max_length=300,
        required=False,
        help_text=_("Only needed when the campaign price is below the SKU's base subsidy price."),
    )


class PlanChoiceForm(forms.Form):
    plan = forms.TypedChoiceField(
        label=_("plan to run"), coerce=int, choices=[], widget=forms.RadioSelect
    )
    reason = forms.CharField(
        label=_("why this plan"),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=4000,
        help_text=_("Why it is chosen over the others; kept with the campaign."),
    )

    def __init__(self, *args: Any, plans: list[CampaignPlan], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast(forms.TypedChoiceField, self.fields["plan"])
        field.choices = [(plan.pk, plan.name) for plan in plans]


class PreheatForm(forms.Form):
    preheat_from = form_date(planned=True, label=_("pre-heat starts"), widget=DATE)
    preheat_until = form_date(
        planned=True,
        label=_("pre-heat ends"),
        widget=DATE,
        help_text=_("At the latest the day the window opens."),
    )
    channels = forms.CharField(
        label=_("off-site channels"),
        max_length=300,
        help_text=_("Where the brand promotion team promotes, e.g. Weibo, Xiaohongshu, Douyin."),
    )
    notes = forms.CharField(
        label=_("pre-heat plan"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=4000,
    )


class ActionForm(forms.Form):
    """A step without input: one button (its refusal shows beside it)."""


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("reason"), max_length=300)


class CloseForm(forms.Form):
    lessons = forms.CharField(
        label=_("lessons learned"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=8000,
        help_text=_("What worked, what did not, what to do differently next time."),
    )


class WaiverForm(forms.Form):
    reason = forms.CharField(label=_("reason for the waiver"), max_length=300)
