"""Forms of service staff onboarding: starting a training, the quiz, sharing sessions.

They parse what was typed; the services in ``returns.services.training`` decide.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ecomops.accounts.names import person_name
from ecomops.bounds import TEXT_MAX_LENGTH, form_date

from .models import QuizAttempt
from .selectors.training import mentor_candidates, session_staff, trainee_candidates

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def person_label(user: Any) -> str:
    name = person_name(user)
    return f"{name} ({user.username})" if name != user.username else str(user.username)


class PersonField(forms.ModelChoiceField):
    """A colleague, shown by name and username."""

    def label_from_instance(self, obj: Any) -> str:
        return person_label(obj)


class PeopleField(forms.ModelMultipleChoiceField):
    """Several colleagues, shown by name and username."""

    def label_from_instance(self, obj: Any) -> str:
        return person_label(obj)


class StartTrainingForm(forms.Form):
    trainee = PersonField(
        label=_("trainee"),
        queryset=trainee_candidates(),
        help_text=_("Pre- and after-sales service staff not in a training now."),
    )
    mentor = PersonField(
        label=_("mentor"),
        queryset=mentor_candidates(),
        required=False,
        help_text=_("Optional: the colleague who answers the trainee's questions."),
    )
    started_on = form_date(
        planned=True,
        label=_("starts on"),
        widget=DATE,
        help_text=_("Day 1 of reading the products."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {}).setdefault("started_on", timezone.localdate())
        super().__init__(*args, **kwargs)
        # Fresh querysets per form: who is in training changes between requests.
        self.fields["trainee"].queryset = trainee_candidates()  # type: ignore[attr-defined]
        self.fields["mentor"].queryset = mentor_candidates()  # type: ignore[attr-defined]


class WithdrawForm(forms.Form):
    why = forms.CharField(
        label=_("reason for withdrawing"),
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ActionForm(forms.Form):
    """A button that posts nothing but the CSRF token (tick, start the quiz, clear)."""


class QuizForm(forms.Form):
    """One radio group per question of an attempt, named ``question_<id>``.

    The fields are optional here: the service says which questions were left unanswered,
    and the form keeps the answers given.
    """

    def __init__(self, *args: Any, attempt: QuizAttempt, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.questions = list(attempt.questions.all())
        for question in self.questions:
            self.fields[f"question_{question.pk}"] = forms.TypedChoiceField(
                label=f"{question.position}. {question.text}",
                choices=[(str(index), text) for index, text in enumerate(question.choices)],
                coerce=int,
                empty_value=None,
                required=False,
                widget=forms.RadioSelect,
            )

    def answers(self) -> dict[int, int | None]:
        """Question id → the index of the choice taken (None when left unanswered)."""
        return {q.pk: self.cleaned_data.get(f"question_{q.pk}") for q in self.questions}


class SharingSessionForm(forms.Form):
    held_on = form_date(planned=True, label=_("held on"), widget=DATE)
    topic = forms.CharField(label=_("topic"), max_length=200)
    presenter = PersonField(label=_("presenter"), queryset=session_staff(), required=False)
    attendees = PeopleField(
        label=_("attendees"),
        queryset=session_staff(),
        widget=forms.SelectMultiple(attrs={"size": 8}),
        help_text=_("Hold Ctrl (⌘ on a Mac) to choose several."),
    )
    notes = forms.CharField(
        label=_("notes"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=TEXT_MAX_LENGTH,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {}).setdefault("held_on", timezone.localdate())
        super().__init__(*args, **kwargs)
        self.fields["presenter"].queryset = session_staff()  # type: ignore[attr-defined]
        self.fields["attendees"].queryset = session_staff()  # type: ignore[attr-defined]
