"""Admin transition buttons that run the app's services (STYLE: admin calls one service).

django-fsm-2's ``FSMAdminMixin`` draws a button per available transition and would call
the model method directly; that would skip the service's checks, records, clocks and
notifications. Here each button maps to a service call, and a refusal becomes a message::

    @admin.register(ListingApplication)
    class ListingApplicationAdmin(ServiceTransitionAdmin, admin.ModelAdmin[ListingApplication]):
        fsm_fields = ["state"]
        fsm_forms = {"reject": ReasonForm}
        fsm_services = {
            "approve": lambda obj, request, data: services.application_approve(
                application_id=obj.pk, by=request.user
            ),
            ...
        }
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_fsm.admin import FSMAdminMixin

from ecomops.bounds import TEXT_MAX_LENGTH
from ecomops.errors import ApplicationError

TransitionService = Callable[[Any, HttpRequest, Mapping[str, Any]], Any]


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        max_length=TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ServiceTransitionAdmin(FSMAdminMixin):
    fsm_services: dict[str, TransitionService] = {}

    def is_fsm_transition_visible(self, transition: Any) -> bool:
        return transition.name in self.fsm_services

    def get_fsm_label(self, transition: Any) -> str:
        return str(transition.custom.get("label") or transition.name)

    @staticmethod
    def get_fsm_block_label(fsm_field_name: str) -> str:
        return _("Next steps")

    def _apply_fsm_transition(
        self,
        *,
        obj: Any,
        transition_name: str,
        request: HttpRequest,
        kwargs: Mapping[str, Any] | None = None,
    ) -> bool:
        service = self.fsm_services.get(transition_name)
        if service is None:
            self.message_user(request, _("This step is not run from the admin."), messages.ERROR)
            return False
        try:
            service(obj, request, kwargs or {})
        except ApplicationError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return False
        self.message_user(request, _("Done: %(object)s.") % {"object": obj}, messages.SUCCESS)
        return True


class ServiceWrittenAdmin(admin.ModelAdmin):
    """Records only services write: managers look, filter and run transitions."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [f.name for f in self.model._meta.concrete_fields]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        # A transition button posts the (read-only) change form first; saving the row as it
        # was loaded would put back values a service changed meanwhile (a batch's counters).
        if not change or form.has_changed():
            super().save_model(request, obj, form, change)
