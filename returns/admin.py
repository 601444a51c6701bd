"""Managers' views of returns and after-sales: filters, search, transition buttons that run
the services, read-only lines, photos and logs; reply scripts with their full history."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from ecomops.admin_inlines import ReadOnlyInline, StateLogInline
from ecomops.bounds import TEXT_MAX_LENGTH, bounded_formfield
from ecomops.fsm_admin import ReasonForm, ServiceTransitionAdmin, ServiceWrittenAdmin

from .models import (
    AfterSalesCase,
    Callback,
    Onboarding,
    PhotoLink,
    ProductReading,
    QuizAttempt,
    QuizQuestion,
    ReplyScript,
    ReturnLine,
    ReturnPhoto,
    ReturnRequest,
    SharingSession,
)
from .services import cases as case_services
from .services import requests as services
from .services import scripts as script_services
from .services import training as training_services


class ReturnLineInline(ReadOnlyInline, admin.TabularInline):
    model = ReturnLine
    fields = [
        "sku",
        "quantity",
        "restocked_quantity",
        "restock_location",
        "written_off_quantity",
        "write_off_reason",
        "inspection_note",
    ]


class ReturnPhotoInline(ReadOnlyInline, admin.TabularInline):
    model = ReturnPhoto
    fields = ["thumbnail", "via_link", "uploaded_by", "uploaded_at"]
    readonly_fields = ["thumbnail"]

    @admin.display(description=_("picture"))
    def thumbnail(self, photo: ReturnPhoto) -> str:
        url = reverse("returns:photo_file", args=[photo.pk])
        return format_html(
            '<a href="{0}" target="_blank"><img src="{0}" width="120" alt=""></a>', url
        )


class NoteForm(forms.Form):
    note = forms.CharField(
        max_length=TEXT_MAX_LENGTH, label=_("note"), widget=forms.Textarea(attrs={"rows": 3})
    )


@admin.register(ReturnRequest)
class ReturnRequestAdmin(ServiceTransitionAdmin, ServiceWrittenAdmin):
    list_display = [
        "number",
        "order",
        "customer",
        "kind",
        "reason",
        "state",
        "opened_at",
        "approved_by",
        "confirmed_by",
    ]
    list_filter = ["state", "kind", "reason"]
    list_select_related = ["order", "customer", "approved_by", "confirmed_by"]
    search_fields = [
        "number",
        "order__number",
        "order__external_id",
        "customer__name",
        "customer__phone",
        "return_waybill",
    ]
    date_hierarchy = "opened_at"
    inlines = [ReturnLineInline, ReturnPhotoInline, StateLogInline]
    fsm_fields = ["state"]
    fsm_forms = {"reject": ReasonForm, "close": NoteForm, "withdraw": NoteForm}
    fsm_services = {
        "approve": lambda obj, request, data: services.return_approve(
            request_id=obj.pk, by=request.user
        ),
        "reject": lambda obj, request, data: services.return_reject(
            request_id=obj.pk, why=data.get("reason", ""), by=request.user
        ),
        "confirm": lambda obj, request, data: services.return_confirm(
            request_id=obj.pk, by=request.user
        ),
        "confirm_refund": lambda obj, request, data: services.return_confirm(
            request_id=obj.pk, by=request.user
        ),
        "close": lambda obj, request, data: services.return_close(
            request_id=obj.pk, note=data.get("note", ""), by=request.user
        ),
        "withdraw": lambda obj, request, data: services.return_withdraw(
            request_id=obj.pk, note=data.get("note", ""), by=request.user
        ),
    }


@admin.register(PhotoLink)
class PhotoLinkAdmin(ServiceWrittenAdmin):
    list_display = ["request", "created_at", "created_by", "expires_at", "used_at"]
    list_select_related = ["request", "created_by"]
    search_fields = ["request__number"]


class ResolveForm(forms.Form):
    cause = forms.CharField(
        max_length=TEXT_MAX_LENGTH, label=_("cause"), widget=forms.Textarea(attrs={"rows": 2})
    )
    resolution = forms.CharField(
        max_length=TEXT_MAX_LENGTH, label=_("resolution"), widget=forms.Textarea(attrs={"rows": 3})
    )


class CallbackInline(ReadOnlyInline, admin.TabularInline):
    model = Callback
    fields = ["scheduled_at", "owner", "purpose", "done_at", "outcome", "outcome_note"]


@admin.register(AfterSalesCase)
class AfterSalesCaseAdmin(ServiceTransitionAdmin, ServiceWrittenAdmin):
    list_display = ["number", "customer", "order", "category", "state", "owner", "opened_at"]
    list_filter = ["state", "category", "owner"]
    list_select_related = ["customer", "order", "owner"]
    search_fields = ["number", "customer__name", "customer__phone", "order__number", "problem"]
    date_hierarchy = "opened_at"
    inlines = [CallbackInline, StateLogInline]
    fsm_fields = ["state"]
    fsm_forms = {"resolve": ResolveForm, "reopen": ReasonForm}
    fsm_services = {
        "resolve": lambda obj, request, data: case_services.case_resolve(
            case_id=obj.pk,
            cause=data.get("cause", ""),
            resolution=data.get("resolution", ""),
            by=request.user,
        ),
        "close": lambda obj, request, data: case_services.case_close(
            case_id=obj.pk, by=request.user
        ),
        "reopen": lambda obj, request, data: case_services.case_reopen(
            case_id=obj.pk, reason=data.get("reason", ""), by=request.user
        ),
    }


@admin.register(Callback)
class CallbackAdmin(ServiceWrittenAdmin):
    list_display = ["customer", "scheduled_at", "owner", "purpose", "done_at", "outcome"]
    list_filter = ["outcome", "owner"]
    list_select_related = ["customer", "owner"]
    search_fields = ["customer__name", "customer__phone", "purpose", "outcome_note"]
    date_hierarchy = "scheduled_at"


@admin.register(ReplyScript)
class ReplyScriptAdmin(SimpleHistoryAdmin):
    """Scripts are written through the services, so every change is in the history with
    who made it."""

    list_display = ["question", "category", "audience", "active", "updated_at", "updated_by"]
    list_filter = ["category", "audience", "active"]
    list_select_related = ["updated_by"]
    search_fields = ["question", "answer"]
    date_hierarchy = "updated_at"
    fields = ["category", "audience", "question", "answer", "active"]
    history_list_display = ["question"]

    def save_model(self, request: HttpRequest, obj: ReplyScript, form: Any, change: bool) -> None:
        data = form.cleaned_data
        if change:
            saved = script_services.script_update(
                script_id=obj.pk,
                category=data["category"],
                audience=data["audience"],
                question=data["question"],
                answer=data["answer"],
                active=data["active"],
                change_note=str(_("Changed in the admin")),
                by=request.user,
            )
        else:
            saved = script_services.script_create(
                category=data["category"],
                audience=data["audience"],
                question=data["question"],
                answer=data["answer"],
                by=request.user,
            )
        obj.pk = saved.pk


# --- Service staff onboarding ---------------------------------------------------------------


class ProductReadingInline(ReadOnlyInline, admin.TabularInline):
    model = ProductReading
    fields = ["product", "read_at"]


class QuizAttemptInline(ReadOnlyInline, admin.TabularInline):
    model = QuizAttempt
    fields = ["number", "started_at", "submitted_at", "correct", "total", "pass_percent", "passed"]
    show_change_link = True


class WithdrawTrainingForm(forms.Form):
    why = forms.CharField(
        label=_("reason for withdrawing"), max_length=300, widget=forms.Textarea(attrs={"rows": 2})
    )


@admin.register(Onboarding)
class OnboardingAdmin(ServiceTransitionAdmin, ServiceWrittenAdmin):
    """Trainings are started from the portal's board; here managers look them up, clear or
    withdraw them."""

    list_display = [
        "trainee",
        "audience",
        "state",
        "started_on",
        "familiarization_due",
        "mentor",
        "quiz_passed_at",
        "cleared_at",
    ]
    list_filter = ["state", "audience", "started_on"]
    list_select_related = ["trainee", "mentor"]
    search_fields = [
        "trainee__username",
        "trainee__first_name",
        "trainee__last_name",
        "mentor__username",
    ]
    date_hierarchy = "started_on"
    inlines = [ProductReadingInline, QuizAttemptInline, StateLogInline]
    fsm_fields = ["state"]
    fsm_forms = {"withdraw": WithdrawTrainingForm}
    fsm_services = {
        "clear": lambda obj, request, data: training_services.onboarding_clear(
            onboarding_id=obj.pk, by=request.user
        ),
        "withdraw": lambda obj, request, data: training_services.onboarding_withdraw(
            onboarding_id=obj.pk, why=data.get("why", ""), by=request.user
        ),
    }


class QuizQuestionInline(ReadOnlyInline, admin.TabularInline):
    model = QuizQuestion
    fields = ["position", "key", "text", "choices", "correct_choice", "answer", "is_correct"]


@admin.register(QuizAttempt)
class QuizAttemptAdmin(ServiceWrittenAdmin):
    list_display = [
        "onboarding",
        "number",
        "started_at",
        "submitted_at",
        "correct",
        "total",
        "passed",
    ]
    list_filter = ["passed"]
    list_select_related = ["onboarding__trainee"]
    search_fields = ["onboarding__trainee__username", "onboarding__trainee__last_name"]
    date_hierarchy = "started_at"
    inlines = [QuizQuestionInline]


class SharingSessionAdminForm(forms.ModelForm):
    class Meta:
        model = SharingSession
        formfield_callback = bounded_formfield
        fields = ["held_on", "topic", "presenter", "attendees", "notes"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        people = Q(is_active=True)
        if self.instance.pk is not None:
            people |= Q(pk__in=self.instance.attendees.values("pk"))
            if self.instance.presenter_id is not None:
                people |= Q(pk=self.instance.presenter_id)
        for name in ("presenter", "attendees"):
            field: Any = self.fields[name]
            field.queryset = get_user_model().objects.filter(people).distinct()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        attendees = data.get("attendees") or []
        errors = training_services.sharing_session_check(
            held_on=data.get("held_on"),
            topic=data.get("topic") or "",
            attendee_ids=[user.pk for user in attendees],
        )
        for field, messages in errors.items():
            if field not in self.errors:
                for message in messages:
                    self.add_error(field, message)
        return data


@admin.register(SharingSession)
class SharingSessionAdmin(admin.ModelAdmin):
    """Sessions are recorded and corrected through the services, which check the day and
    the attendees and tell managers about trainees who can now be cleared."""

    form = SharingSessionAdminForm
    list_display = ["held_on", "topic", "presenter", "recorded_by", "recorded_at"]
    list_select_related = ["presenter", "recorded_by"]
    search_fields = ["topic", "notes", "attendees__username", "attendees__last_name"]
    date_hierarchy = "held_on"
    filter_horizontal = ["attendees"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(
        self, request: HttpRequest, obj: SharingSession, form: Any, change: bool
    ) -> None:
        data = form.cleaned_data
        values = {
            "held_on": data["held_on"],
            "topic": data["topic"],
            "presenter_id": data["presenter"].pk if data.get("presenter") else None,
            "attendee_ids": [user.pk for user in data["attendees"]],
            "notes": data.get("notes") or "",
            "by": request.user,
        }
        if change:
            saved = training_services.sharing_session_update(session_id=obj.pk, **values)
        else:
            saved = training_services.sharing_session_record(**values)
        obj.pk = saved.pk

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        """The service already set the attendees."""
