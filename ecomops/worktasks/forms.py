"""Forms of the department tasks pages: they parse what was typed; the services decide."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from ecomops.accounts.roles import ROLES, Department
from ecomops.accounts.selectors import user_departments
from ecomops.bounds import form_planned_moment

from .models import TaskState, is_manager

DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
ACCEPT = ".pdf,.jpg,.jpeg,.png,.xlsx,.docx,.txt"


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class AttachmentsField(forms.FileField):
    """Several files in one field; each is checked by its bytes in the service."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ACCEPT}))
        kwargs.setdefault("required", False)
        kwargs.setdefault(
            "help_text",
            _("PDF, JPEG, PNG, Excel (.xlsx), Word (.docx) or plain text; several at once."),
        )
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> Any:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data if d]
        return [single(data, initial)] if data else []


def role_choices() -> list[tuple[str, Any]]:
    """The roles grouped by their department, after an empty choice (the whole department)."""
    groups: list[tuple[str, Any]] = [("", _("the whole department"))]
    for department in Department:
        roles = [
            (code, role.label) for code, role in ROLES.items() if role.department == department
        ]
        if roles:
            groups.append((str(department.label), roles))
    return groups


class DispatchForm(forms.Form):
    from_department = forms.ChoiceField(label=_("from department"))
    to_department = forms.ChoiceField(label=_("to department"))
    to_role = forms.ChoiceField(
        label=_("for role"),
        required=False,
        help_text=_("Optional: only this role of the receiving department works on it."),
    )
    title = forms.CharField(label=_("title"), max_length=200)
    details = forms.CharField(
        label=_("details"), max_length=10000, widget=forms.Textarea(attrs={"rows": 6})
    )
    due_at = form_planned_moment(label=_("due"), widget=DATETIME)
    attachments = AttachmentsField(label=_("attachments"))

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        everyone = list(Department.choices)
        if is_manager(user):
            own = everyone
        else:
            mine = {str(d) for d in user_departments(user)}
            own = [(code, label) for code, label in everyone if code in mine]
        cast(forms.ChoiceField, self.fields["from_department"]).choices = own
        cast(forms.ChoiceField, self.fields["to_department"]).choices = [("", "—"), *everyone]
        cast(forms.ChoiceField, self.fields["to_role"]).choices = role_choices()


class TaskFilterForm(forms.Form):
    SHOW = [("open", _("open")), ("all", _("all"))]

    show = forms.ChoiceField(label=_("show"), choices=SHOW, required=False)
    state = forms.ChoiceField(
        label=_("status"), choices=[("", _("any")), *TaskState.choices], required=False
    )


class AcceptForm(forms.Form):
    """Accepting needs nothing typed."""


class ReportForm(forms.Form):
    text = forms.CharField(
        label=_("progress so far"), widget=forms.Textarea(attrs={"rows": 4}), max_length=10000
    )
    attachments = AttachmentsField(label=_("attachments"))


class CompleteForm(forms.Form):
    note = forms.CharField(
        label=pgettext_lazy("task", "completion note"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=10000,
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("reason"), widget=forms.Textarea(attrs={"rows": 3}), max_length=5000
    )
