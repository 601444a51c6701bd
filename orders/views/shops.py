"""Shop openings (开店) in the portal: the list with review countdowns and documents
running out, a new opening, one opening's page with the steps by phase, its documents,
the platform's answers and the set-up checklist, and the documents' downloads.

Each POST parses a form and calls one service. A refusal re-renders the opening's page
with the form as typed and the refusal beside it (400, or 409 when the opening's state
does not allow it); a refusal for lack of permission answers 403. Success redirects to
the page with a message.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ecomops.accounts.roles import RoleCode
from ecomops.accounts.selectors import user_role_codes
from ecomops.forms import call_service_with_status
from ecomops.uploads import file_response

from .. import selectors, services
from ..forms import (
    ShopAbandonForm,
    ShopActionForm,
    ShopDocumentForm,
    ShopOpeningFilterForm,
    ShopOpeningForm,
    ShopReviewPassForm,
    ShopReviewRejectForm,
    ShopStepForm,
)
from ..models import (
    RUN_SHOP_OPENING,
    RUNNING_OPENING_STATES,
    OpeningState,
    ShopDocument,
    ShopOpening,
    StepPhase,
)
from ..services.shops import UPLOAD_STATES

VIEW = "orders.view_shopopening"
RUN = RUN_SHOP_OPENING
# Set-up item owners whose own items are listed for them on the openings page.
SETUP_ROLES = (RoleCode.DESIGNER, RoleCode.LISTING_REVIEWER, RoleCode.SHOP_MANAGER)
# While these, an upload form of a document not there yet is shown open.
COLLECTING_STATES = (OpeningState.PREPARING, OpeningState.DOCUMENTS)


def _call(form: forms.BaseForm, service: Callable[..., Any], **kwargs: Any) -> tuple[Any, int]:
    """``call_service_with_status``; a refusal naming a hidden field (the step posted) is
    shown at the top of the form."""
    result, status = call_service_with_status(form, service, **kwargs)
    for field in form.hidden_fields():
        for error in form.errors.get(field.name, []):
            form.add_error(None, error)
    return result, status


def _expiring_rows(today: Any) -> list[dict[str, Any]]:
    days = int(settings.SHOP_DOCUMENT_EXPIRY_NOTICE_DAYS)
    return [
        {
            "document": document,
            "days_left": (document.expires_on - today).days if document.expires_on else None,
            "expired": document.expires_on is not None and document.expires_on <= today,
        }
        for document in selectors.documents_expiring(days, today=today)[:200]
    ]


# --- The list and a new opening -------------------------------------------------------------


@login_required
@permission_required(VIEW, raise_exception=True)
def shop_list(request: HttpRequest) -> HttpResponse:
    form = ShopOpeningFilterForm(request.GET or None)
    state = form.cleaned_data["state"] if form.is_valid() else ""
    today = timezone.localdate()
    page = Paginator(selectors.shop_openings(state=state), 50).get_page(request.GET.get("page"))
    rows = [
        {
            "opening": opening,
            "progress": selectors.shop_review_progress(opening, today=today),
        }
        for opening in page.object_list
    ]
    held = set(user_role_codes(request.user))
    my_items = [
        item
        for role in SETUP_ROLES
        if role in held
        for item in selectors.setup_items_for_role(role)[:100]
    ]
    context = {
        "form": form,
        "page": page,
        "rows": rows,
        "expiring": _expiring_rows(today),
        "notice_days": settings.SHOP_DOCUMENT_EXPIRY_NOTICE_DAYS,
        "my_items": my_items,
        "can_run": request.user.has_perm(RUN),
    }
    return render(request, "orders/shop_list.html", context)


@login_required
@permission_required(VIEW, raise_exception=True)
def shop_new(request: HttpRequest) -> HttpResponse:
    if not request.user.has_perm(RUN):
        raise PermissionDenied(_("You are not allowed to run shop openings."))
    processes = list(selectors.active_opening_processes())
    form = ShopOpeningForm(request.POST or None, processes=processes)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            opening, status = _call(
                form,
                services.shop_opening_start,
                platform=data["platform"],
                code=data["code"],
                name=data["name"],
                company_name=data["company_name"],
                by=request.user,
            )
            if opening is not None:
                messages.success(
                    request,
                    _("Shop opening %(number)s started for %(shop)s.")
                    % {"number": opening.number, "shop": opening.channel.name},
                )
                return redirect(opening)
    context = {"form": form, "processes": processes}
    return render(request, "orders/shop_new.html", context, status=status)


# --- One opening's page ---------------------------------------------------------------------


def _step_form(record: Any, bound: dict[str, forms.Form]) -> forms.Form:
    return bound.get(f"step:{record.step_id}") or ShopStepForm(
        prefix="step", initial={"step": record.step_id}, auto_id=f"id_step{record.step_id}_%s"
    )


def _may_mark(record: Any, *, user: Any, can_run: bool, state: str, next_preparation: Any) -> bool:
    """Is the tick button of this step offered: the next preparation step to those who
    run openings while preparing; a set-up item to its role (or a manager) while the shop
    is set up."""
    if record.done_at is not None:
        return False
    if record.phase == StepPhase.PREPARATION:
        return can_run and state == OpeningState.PREPARING and record == next_preparation
    if record.phase == StepPhase.SETUP:
        return state == OpeningState.SETTING_UP and selectors.user_may_tick(user, record)
    return False


def _shop_page(
    request: HttpRequest,
    pk: int,
    *,
    bound: dict[str, forms.Form] | None = None,
    status: int = 200,
    files_dropped: bool = False,
) -> HttpResponse:
    """The opening's page; ``bound`` holds a refused form to show again as typed, keyed
    by what it is for (``"submit"``, ``"step:<step id>"``, ``"upload:<type id>"``, ...)."""
    try:
        opening = selectors.shop_opening_detail(pk)
    except ShopOpening.DoesNotExist:
        raise Http404 from None
    bound = bound or {}
    user = request.user
    can_run = user.has_perm(RUN)
    state = opening.state
    today = timezone.localdate()
    shown: set[str] = set()

    def offer(name: str, when: bool, make: Callable[[], forms.Form]) -> forms.Form | None:
        if not when:
            return None
        shown.add(name)
        return bound.get(name) or make()

    # The steps by phase, with the form for the next preparation step and the set-up ticks.
    next_preparation = selectors.next_step(opening, StepPhase.PREPARATION)
    next_review = selectors.next_step(opening, StepPhase.REVIEW)
    phases = []
    for phase, label in StepPhase.choices:
        records = selectors.step_records(opening, phase)
        rows: list[dict[str, Any]] = []
        for record in records:
            form = None
            if _may_mark(
                record, user=user, can_run=can_run, state=state, next_preparation=next_preparation
            ):
                form = _step_form(record, bound)
                shown.add(f"step:{record.step_id}")
            rows.append(
                {
                    "record": record,
                    "form": form,
                    "current": (phase == StepPhase.PREPARATION and record == next_preparation)
                    or (
                        phase == StepPhase.REVIEW
                        and state == OpeningState.IN_REVIEW
                        and record == next_review
                    ),
                }
            )
        phases.append(
            {
                "phase": phase,
                "label": label,
                "rows": rows,
                "done": sum(1 for record in records if record.done_at is not None),
            }
        )

    # The documents, one card per type: the current file, its history, an upload form.
    uploads_open = can_run and state in UPLOAD_STATES
    notice_days = int(settings.SHOP_DOCUMENT_EXPIRY_NOTICE_DAYS)
    documents = []
    for document_type in opening.process.document_types.all():
        files = [d for d in opening.documents.all() if d.document_type_id == document_type.pk]
        current = next((d for d in files if d.superseded_at is None), None)
        upload_form = None
        if uploads_open:
            key = f"upload:{document_type.pk}"
            shown.add(key)
            upload_form = bound.get(key) or ShopDocumentForm(
                prefix="upload",
                initial={"document_type": document_type.pk},
                auto_id=f"id_doc{document_type.pk}_%s",
            )
            if not document_type.has_expiry:
                upload_form.fields.pop("expires_on", None)
                upload_form.fields.pop("long_term", None)
        days_left = (current.expires_on - today).days if current and current.expires_on else None
        documents.append(
            {
                "type": document_type,
                "current": current,
                "history": [d for d in files if d.superseded_at is not None],
                "days_left": days_left,
                "expired": days_left is not None and days_left <= 0,
                "expiring": days_left is not None and 0 < days_left <= notice_days,
                "form": upload_form,
                "open": f"upload:{document_type.pk}" in bound
                or (current is None and state in COLLECTING_STATES),
            }
        )

    problems = (
        selectors.document_problems(opening, today=today) if state == OpeningState.DOCUMENTS else []
    )
    submit_form = offer("submit", can_run and state == OpeningState.DOCUMENTS, ShopActionForm)
    reviewing = can_run and state == OpeningState.IN_REVIEW and next_review is not None
    review_step_id = next_review.step_id if next_review is not None else None
    pass_form = offer(
        "pass",
        reviewing,
        lambda: ShopReviewPassForm(
            prefix="pass", initial={"step": next_review and next_review.step_id}
        ),
    )
    reject_form = offer(
        "reject",
        reviewing,
        lambda: ShopReviewRejectForm(prefix="reject", initial={"step": review_step_id}),
    )
    setup_left = [r for r in selectors.step_records(opening, StepPhase.SETUP) if r.done_at is None]
    open_form = offer("open", can_run and state == OpeningState.SETTING_UP, ShopActionForm)
    abandon_form = offer(
        "abandon",
        can_run and state in RUNNING_OPENING_STATES,
        lambda: ShopAbandonForm(prefix="abandon"),
    )
    for name, form in bound.items():
        if name not in shown:  # the opening moved on meanwhile: say why it was refused
            for errors in form.errors.values():
                for error in errors:
                    messages.error(request, str(error))

    context = {
        "opening": opening,
        "channel": opening.channel,
        "phases": phases,
        "documents": documents,
        "decisions": list(opening.decisions.all()),
        "progress": selectors.shop_review_progress(opening, today=today),
        "problems": problems,
        "next_preparation": next_preparation if state == OpeningState.PREPARING else None,
        "next_review": next_review if state == OpeningState.IN_REVIEW else None,
        "setup_left": setup_left,
        "submit_form": submit_form,
        "pass_form": pass_form,
        "reject_form": reject_form,
        "open_form": open_form,
        "abandon_form": abandon_form,
        "can_run": can_run,
        "can_see_channel": user.has_perm("orders.view_channel"),
        "open_form_name": next(iter(bound), ""),
        "files_dropped": files_dropped,
        "notice_days": notice_days,
    }
    return render(request, "orders/shop_detail.html", context, status=status)


@login_required
@permission_required(VIEW, raise_exception=True)
def shop_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _shop_page(request, pk)


# --- The opening's steps (POST only) ---------------------------------------------------------


@dataclass(frozen=True)
class Action:
    """One step posted to ``shop_action``: its form, the service call, what to say, and
    under which key a refused form goes back onto the page (from the raw POST)."""

    form: type[forms.Form]
    run: Callable[[int, Any, dict[str, Any]], Any]
    done: Callable[[Any], str]
    key: Callable[[Any], str] = lambda post: ""
    auto_id: Callable[[Any], str] = lambda post: "id_%s"


def _posted(post: Any, name: str) -> str:
    value = str(post.get(name, ""))
    return value if value.isdigit() else "x"


ACTIONS: dict[str, Action] = {
    "step": Action(
        ShopStepForm,
        lambda pk, by, data: services.shop_step_complete(
            opening_id=pk, step_id=data["step"], note=data["note"], by=by
        ),
        lambda record: _("%(step)s done.") % {"step": record.name},
        key=lambda post: f"step:{_posted(post, 'step-step')}",
        auto_id=lambda post: f"id_step{_posted(post, 'step-step')}_%s",
    ),
    "upload": Action(
        ShopDocumentForm,
        lambda pk, by, data: services.shop_document_upload(
            opening_id=pk,
            document_type_id=data["document_type"],
            upload=data["file"],
            expires_on=data["expires_on"],
            long_term=data["long_term"],
            licence_number=data["licence_number"],
            by=by,
        ),
        lambda document: _("%(document)s uploaded.") % {"document": document.document_type.name},
        key=lambda post: f"upload:{_posted(post, 'upload-document_type')}",
        auto_id=lambda post: f"id_doc{_posted(post, 'upload-document_type')}_%s",
    ),
    "submit": Action(
        ShopActionForm,
        lambda pk, by, data: services.shop_documents_submit(opening_id=pk, by=by),
        lambda opening: (
            _("Documents submitted to the platform; its answer is due on %(day)s.")
            % {"day": opening.review_due_on.isoformat() if opening.review_due_on else "—"}
        ),
        key=lambda post: "submit",
    ),
    "pass": Action(
        ShopReviewPassForm,
        lambda pk, by, data: services.shop_review_pass(
            opening_id=pk, step_id=data["step"], note=data["note"], by=by
        ),
        lambda opening: (
            _("The platform's approval is recorded: the set-up can start.")
            if opening.state == OpeningState.SETTING_UP
            else _("Review step passed.")
        ),
        key=lambda post: "pass",
        auto_id=lambda post: "id_pass_%s",
    ),
    "reject": Action(
        ShopReviewRejectForm,
        lambda pk, by, data: services.shop_review_reject(
            opening_id=pk, step_id=data["step"], reason=data["reason"], by=by
        ),
        lambda opening: _(
            "The rejection is recorded: replace the documents and submit them again."
        ),
        key=lambda post: "reject",
        auto_id=lambda post: "id_reject_%s",
    ),
    "open": Action(
        ShopActionForm,
        lambda pk, by, data: services.shop_open(opening_id=pk, by=by),
        lambda opening: (
            _("Shop %(shop)s is open: its channel accepts orders.") % {"shop": opening.channel.name}
        ),
        key=lambda post: "open",
    ),
    "abandon": Action(
        ShopAbandonForm,
        lambda pk, by, data: services.shop_opening_abandon(
            opening_id=pk, reason=data["reason"], by=by
        ),
        lambda opening: _("Shop opening abandoned."),
        key=lambda post: "abandon",
        auto_id=lambda post: "id_abandon_%s",
    ),
}


@login_required
@require_POST
@permission_required(VIEW, raise_exception=True)
def shop_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """One step on the opening: done, or the page again with the refusal on the form."""
    spec = ACTIONS.get(action)
    if spec is None:
        raise Http404
    opening = get_object_or_404(ShopOpening, pk=pk)
    form = spec.form(
        request.POST, request.FILES or None, prefix=action, auto_id=spec.auto_id(request.POST)
    )
    status = 400
    if form.is_valid():
        result, status = _call(
            form, spec.run, pk=opening.pk, by=request.user, data=form.cleaned_data
        )
        if status == 200:
            messages.success(request, spec.done(result))
            return redirect(opening)
    return _shop_page(
        request,
        opening.pk,
        bound={spec.key(request.POST): form},
        status=status,
        files_dropped=bool(request.FILES),
    )


# --- Documents ------------------------------------------------------------------------------


@login_required
def shop_document(request: HttpRequest, pk: int) -> FileResponse:
    """A shop document, shown in the browser, for those who may see shop openings."""
    if not request.user.has_perm(VIEW):
        raise PermissionDenied(_("You are not allowed to see shop documents."))
    try:
        document = selectors.shop_document_for_download(pk)
    except ShopDocument.DoesNotExist:
        raise Http404 from None
    try:
        handle = document.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    # Its stored type (read from its bytes), inline only if a picture or PDF, never sniffed.
    return file_response(handle, content_type=document.content_type, name=document.name)
