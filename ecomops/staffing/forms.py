"""Forms of the staffing pages. They parse what was typed; the services decide, and their
refusals go back onto the form."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from ecomops.accounts.roles import ROLES, Department
from ecomops.bounds import TEXT_MAX_LENGTH, form_date

from .models import MAX_HEADCOUNT, Candidate, CandidateOutcome, CandidateSource, StaffingState

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _department_choices(departments: Iterable[str]) -> list[tuple[str, Any]]:
    wanted = set(departments)
    return [(code, label) for code, label in Department.choices if code in wanted]


class FilterForm(forms.Form):
    state = forms.ChoiceField(
        label=_("status"), choices=[("", _("all")), *StaffingState.choices], required=False
    )
    department = forms.ChoiceField(
        label=_("department"), choices=[("", _("all")), *Department.choices], required=False
    )

    def __init__(self, *args: Any, departments: Iterable[str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if departments is not None:
            field = cast(forms.ChoiceField, self.fields["department"])
            field.choices = [("", _("all")), *_department_choices(departments)]


class RequestForm(forms.Form):
    """A department's request to HR; ``departments`` are those the user may ask for."""

    department = forms.ChoiceField(label=_("department"), choices=())
    position = forms.CharField(
        label=pgettext_lazy("job", "position"),
        max_length=100,
        help_text=_("The job wanted, as the department calls it."),
    )
    role = forms.ChoiceField(
        label=_("role of the hires"),
        required=False,
        help_text=_("The portal role the people hired will hold, if any."),
    )
    headcount = forms.IntegerField(label=_("headcount"), min_value=1, max_value=MAX_HEADCOUNT)
    wanted_by = form_date(planned=True, label=_("wanted by"), widget=DATE)
    reason = forms.CharField(
        label=_("reason"), max_length=TEXT_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 4})
    )

    def __init__(self, *args: Any, departments: Iterable[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        allowed = _department_choices(departments)
        department = cast(forms.ChoiceField, self.fields["department"])
        department.choices = allowed if len(allowed) == 1 else [("", "—"), *allowed]
        codes = {code for code, _label in allowed}
        role = cast(forms.ChoiceField, self.fields["role"])
        role.choices = [
            ("", "—"),
            *(
                (Department(r.department).label, [(r.code, r.label)])
                for r in ROLES.values()
                if r.department in codes
            ),
        ]


class ApproveForm(forms.Form):
    note = forms.CharField(
        label=_("approval note"),
        max_length=TEXT_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class CandidateForm(forms.Form):
    name = forms.CharField(label=_("name"), max_length=100)
    phone = forms.CharField(label=_("mobile"), max_length=20)
    source = forms.ChoiceField(label=_("source"), choices=CandidateSource.choices)
    supplied_at = form_date(label=_("supplied on"), widget=DATE, required=False)


class CandidateChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.name} · {obj.phone} · {obj.get_outcome_display()}"


class OutcomeForm(forms.Form):
    candidate = CandidateChoiceField(label=_("candidate"), queryset=Candidate.objects.none())
    outcome = forms.ChoiceField(
        label=_("outcome"),
        choices=[c for c in CandidateOutcome.choices if c[0] != CandidateOutcome.SUPPLIED],
    )
    start_date = form_date(
        planned=True,
        label=_("start date"),
        widget=DATE,
        required=False,
        help_text=_("For a hire: the first working day."),
    )
    note = forms.CharField(
        label=_("outcome note"),
        max_length=TEXT_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, candidates: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["candidate"]).queryset = candidates


class CancelForm(forms.Form):
    reason = forms.CharField(
        label=_("reason"), max_length=TEXT_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 2})
    )
