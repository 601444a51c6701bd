"""Service staff onboarding (客服岗前培训) in the portal: the managers' progress board, a
trainee's track (reading list, quiz, sessions), the quiz form and the sharing sessions.

Each POST parses a form and calls one service. A refusal re-renders the page with the
form as typed and the refusal beside it (400, or 409 when the training's state does not
allow it); a refusal for lack of permission answers 403 with a page saying who may do it.
Success redirects with a message.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ecomops.accounts.names import person_name
from ecomops.forms import call_service_with_status

from ..forms_training import (
    ActionForm,
    QuizForm,
    SharingSessionForm,
    StartTrainingForm,
    WithdrawForm,
)
from ..models import Onboarding, QuizAttempt, TrainingState
from ..selectors import training as selectors
from ..services import training as services

RUN = "returns.run_onboarding"
RECORD = "returns.record_sharing_session"
VIEW_SESSIONS = "returns.view_sharingsession"

STAGE_BADGE = {
    TrainingState.FAMILIARIZATION: "badge-info",
    TrainingState.QUIZ: "badge-warning",
    TrainingState.SHARING: "badge-info",
    TrainingState.CLEARED: "badge-success",
    TrainingState.WITHDRAWN: "badge-danger",
}


def _share(part: int | None, whole: int) -> int:
    """``part`` of ``whole`` in whole percent, for a progress bar's width (0 to 100)."""
    if not whole or not part:
        return 0
    return max(0, min(100, part * 100 // whole))


def _stage_badge(onboarding: Onboarding) -> str:
    return STAGE_BADGE.get(TrainingState(onboarding.state), "")


# --- The board ------------------------------------------------------------------------------


def _board_row(onboarding: Any) -> dict[str, Any]:
    sessions_wanted = settings.ONBOARDING_SHARING_SESSIONS
    return {
        "onboarding": onboarding,
        "badge": _stage_badge(onboarding),
        "reading_width": _share(onboarding.readings_done, onboarding.readings_total),
        "quiz_width": onboarding.best_percent or 0,
        "sessions_width": _share(min(onboarding.sessions_count, sessions_wanted), sessions_wanted),
        "reading_done": onboarding.readings_total
        and onboarding.readings_done >= onboarding.readings_total,
        "quiz_done": onboarding.quiz_passed_at is not None,
        "sessions_done": onboarding.sessions_count >= sessions_wanted,
    }


def _board(
    request: HttpRequest, *, form: StartTrainingForm | None = None, status: int = 200
) -> HttpResponse:
    rows = [_board_row(o) for o in selectors.onboarding_progress_board()]
    context = {
        "rows": rows,
        "open_count": sum(1 for r in rows if r["onboarding"].is_open),
        "behind_count": sum(1 for r in rows if r["onboarding"].behind),
        "form": form or StartTrainingForm(),
        "pass_percent": settings.ONBOARDING_QUIZ_PASS_PERCENT,
        "sessions_wanted": settings.ONBOARDING_SHARING_SESSIONS,
        "reading_days": settings.ONBOARDING_FAMILIARIZATION_DAYS,
    }
    return render(request, "returns/training_board.html", context, status=status)


@login_required
def training_home(request: HttpRequest) -> HttpResponse:
    """Managers: the progress board. A trainee: their track. Other service staff: where
    training is explained. Anyone else: 403."""
    user: Any = request.user
    if user.has_perm(RUN):
        return _board(request)
    onboarding = selectors.latest_onboarding_for(user)
    if onboarding is not None:
        return redirect(onboarding)
    if selectors.is_service_staff(user):
        context = {
            "sessions_wanted": settings.ONBOARDING_SHARING_SESSIONS,
            "reading_days": settings.ONBOARDING_FAMILIARIZATION_DAYS,
            "pass_percent": settings.ONBOARDING_QUIZ_PASS_PERCENT,
        }
        return render(request, "returns/training_none.html", context)
    raise PermissionDenied(
        _(
            "Service training is for pre- and after-sales service staff in training and the "
            "managers who train them."
        )
    )


@login_required
@require_POST
def training_start(request: HttpRequest) -> HttpResponse:
    if not request.user.has_perm(RUN):
        raise PermissionDenied(_("Only a manager can start a service training."))
    form = StartTrainingForm(request.POST)
    status = 400
    if form.is_valid():
        data = form.cleaned_data
        onboarding, status = call_service_with_status(
            form,
            services.onboarding_start,
            trainee_id=data["trainee"].pk,
            mentor_id=data["mentor"].pk if data["mentor"] else None,
            started_on=data["started_on"],
            by=request.user,
        )
        if onboarding is not None:
            messages.success(
                request,
                _("Training of %(trainee)s started: %(count)s products to read by %(due)s.")
                % {
                    "trainee": person_name(data["trainee"]),
                    "count": onboarding.readings.count(),
                    "due": onboarding.familiarization_due.isoformat(),
                },
            )
            return redirect(onboarding)
    return _board(request, form=form, status=status)


# --- A trainee's track ----------------------------------------------------------------------


def _steps(onboarding: Any, sessions: list[Any]) -> list[dict[str, Any]]:
    """The four stages with where the training stands and their dates."""
    order = [
        TrainingState.FAMILIARIZATION,
        TrainingState.QUIZ,
        TrainingState.SHARING,
        TrainingState.CLEARED,
    ]
    labels = dict(TrainingState.choices)
    withdrawn = onboarding.state == TrainingState.WITHDRAWN
    if withdrawn:
        # Where it stopped: the last stage with a date.
        reached = 0
        if onboarding.readings_finished_at:
            reached = 1
        if onboarding.quiz_passed_at:
            reached = 2
    else:
        reached = order.index(TrainingState(onboarding.state))
    sessions_wanted = settings.ONBOARDING_SHARING_SESSIONS
    details = [
        _("%(start)s to %(due)s")
        % {
            "start": onboarding.started_on.isoformat(),
            "due": onboarding.familiarization_due.isoformat(),
        }
        + (
            " · "
            + _("read by %(day)s")
            % {"day": timezone.localtime(onboarding.readings_finished_at).date().isoformat()}
            if onboarding.readings_finished_at
            else ""
        ),
        _("passed on %(day)s")
        % {"day": timezone.localtime(onboarding.quiz_passed_at).date().isoformat()}
        if onboarding.quiz_passed_at
        else _("%(count)s attempts") % {"count": onboarding.attempts_done},
        _("%(attended)s of %(wanted)s sessions")
        % {"attended": len(sessions), "wanted": sessions_wanted},
        _("on %(day)s") % {"day": timezone.localtime(onboarding.cleared_at).date().isoformat()}
        if onboarding.cleared_at
        else "",
    ]
    steps = []
    for index, state in enumerate(order):
        if onboarding.state == TrainingState.CLEARED or index < reached:
            status = "done"
        elif index == reached and not withdrawn:
            status = "current"
        else:
            status = "todo"
        steps.append(
            {"state": state, "label": labels[state], "status": status, "detail": details[index]}
        )
    return steps


def _detail_page(
    request: HttpRequest,
    pk: int,
    *,
    withdraw_form: WithdrawForm | None = None,
    status: int = 200,
) -> HttpResponse:
    try:
        onboarding: Any = selectors.onboarding_detail(pk)
    except Onboarding.DoesNotExist:
        raise Http404 from None
    user: Any = request.user
    is_trainee = onboarding.trainee_id == user.pk
    can_run = user.has_perm(RUN)
    # The mentor is told how the trainee gets on and follows the track, without acting on it.
    is_mentor = onboarding.mentor_id is not None and onboarding.mentor_id == user.pk
    if not (is_trainee or can_run or is_mentor):
        raise PermissionDenied(
            _("A training's page is for the trainee, their mentor and the managers who train them.")
        )
    state = onboarding.state
    readings = selectors.readings_with_facts(onboarding)
    attempts = selectors.attempts_of(onboarding)
    sessions = list(selectors.sessions_attended(onboarding))
    open_attempt = next((a for a in attempts if not a.is_submitted), None)
    reading = state == TrainingState.FAMILIARIZATION
    context = {
        "onboarding": onboarding,
        "badge": _stage_badge(onboarding),
        "steps": _steps(onboarding, sessions),
        "readings": readings,
        "first_unread": next((r.pk for r in readings if not r.is_read), None),
        "reading_width": _share(onboarding.readings_done, onboarding.readings_total),
        "attempts": attempts,
        "open_attempt": open_attempt,
        "sessions": sessions,
        "is_trainee": is_trainee,
        "can_run": can_run,
        "can_tick": is_trainee and reading,
        "tick_form": ActionForm() if is_trainee and reading else None,
        "quiz_form": (
            ActionForm()
            if is_trainee and state == TrainingState.QUIZ and open_attempt is None
            else None
        ),
        "clear_form": ActionForm() if can_run and state == TrainingState.SHARING else None,
        "withdraw_form": (
            (withdraw_form or WithdrawForm(prefix="withdraw"))
            if can_run and onboarding.is_open
            else None
        ),
        "open_form": "withdraw" if withdraw_form is not None else "",
        "pass_percent": settings.ONBOARDING_QUIZ_PASS_PERCENT,
        "sessions_wanted": settings.ONBOARDING_SHARING_SESSIONS,
        "question_count": settings.ONBOARDING_QUIZ_QUESTIONS,
        "today": timezone.localdate(),
    }
    return render(request, "returns/training_detail.html", context, status=status)


@login_required
def training_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail_page(request, pk)


def _action(
    request: HttpRequest,
    pk: int,
    service: Callable[..., Any],
    done: Callable[[Any], str],
    *,
    anchor: str = "",
    **kwargs: Any,
) -> HttpResponse:
    """Run a step without input (tick, start the quiz, clear); a refusal shows the track
    again with the refusal (400/409)."""
    if not Onboarding.objects.filter(pk=pk).exists():
        raise Http404
    form = ActionForm(request.POST)
    form.is_valid()
    result, status = call_service_with_status(form, service, by=request.user, **kwargs)
    if status == 200:
        message = done(result)
        if message:
            messages.success(request, message)
        if isinstance(result, QuizAttempt):
            return redirect(result)
        return redirect(reverse("returns:training_detail", args=[pk]) + anchor)
    # The step has no fields: every refusal is the form's own error.
    for error in form.non_field_errors():
        messages.error(request, str(error))
    return _detail_page(request, pk, status=status)


@login_required
@require_POST
def training_tick(request: HttpRequest, pk: int, product_id: int) -> HttpResponse:
    def done(reading: Any) -> str:
        onboarding = Onboarding.objects.get(pk=pk)
        if onboarding.state == TrainingState.QUIZ:
            return _("Every product read: the product quiz is next.")
        return ""

    return _action(
        request,
        pk,
        services.reading_tick,
        done,
        anchor=f"#product-{product_id}",
        onboarding_id=pk,
        product_id=product_id,
    )


@login_required
@require_POST
def training_quiz_start(request: HttpRequest, pk: int) -> HttpResponse:
    return _action(
        request,
        pk,
        services.quiz_start,
        lambda attempt: (
            _("Attempt %(number)s: %(count)s questions. Good luck!")
            % {"number": attempt.number, "count": attempt.total}
        ),
        onboarding_id=pk,
    )


@login_required
@require_POST
def training_clear(request: HttpRequest, pk: int) -> HttpResponse:
    return _action(
        request,
        pk,
        services.onboarding_clear,
        lambda onboarding: (
            _("%(training)s: cleared to answer customers.") % {"training": onboarding}
        ),
        onboarding_id=pk,
    )


@login_required
@require_POST
def training_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    if not Onboarding.objects.filter(pk=pk).exists():
        raise Http404
    form = WithdrawForm(request.POST, prefix="withdraw")
    status = 400
    if form.is_valid():
        onboarding, status = call_service_with_status(
            form,
            services.onboarding_withdraw,
            onboarding_id=pk,
            why=form.cleaned_data["why"],
            by=request.user,
        )
        if onboarding is not None:
            messages.success(request, _("Training withdrawn."))
            return redirect(onboarding)
    return _detail_page(request, pk, withdraw_form=form, status=status)


# --- The quiz -------------------------------------------------------------------------------


def _attempt_anchor(attempt: QuizAttempt) -> str:
    return (
        reverse("returns:training_detail", args=[attempt.onboarding_id])
        + f"#attempt-{attempt.number}"
    )


@login_required
def training_quiz(request: HttpRequest, attempt_pk: int) -> HttpResponse:
    try:
        attempt = selectors.attempt_detail(attempt_pk)
    except QuizAttempt.DoesNotExist:
        raise Http404 from None
    user: Any = request.user
    if attempt.onboarding.trainee_id != user.pk:
        if user.has_perm(RUN):
            return redirect(_attempt_anchor(attempt))
        raise PermissionDenied(_("A quiz is answered by its trainee only."))
    if attempt.is_submitted and request.method != "POST":
        return redirect(_attempt_anchor(attempt))
    form = QuizForm(request.POST or None, attempt=attempt)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            result, status = call_service_with_status(
                form, services.quiz_submit, attempt_id=attempt.pk, answers=form.answers(), by=user
            )
            if result is not None:
                score = {
                    "correct": result.correct,
                    "total": result.total,
                    "mark": result.pass_percent,
                }
                if result.passed:
                    messages.success(
                        request,
                        _("Passed: %(correct)s of %(total)s right. Next: the sharing sessions.")
                        % score,
                    )
                else:
                    messages.warning(
                        request,
                        _(
                            "Not passed: %(correct)s of %(total)s right, the pass mark is "
                            "%(mark)s percent. Read the right answers below, then retake the "
                            "quiz with new questions."
                        )
                        % score,
                    )
                return redirect(_attempt_anchor(result))
    answered = sum(1 for name in form.fields if form[name].value() not in (None, ""))
    context = {
        "attempt": attempt,
        "onboarding": attempt.onboarding,
        "form": form,
        "answered": answered,
        "pass_percent": attempt.pass_percent,
    }
    return render(request, "returns/training_quiz.html", context, status=status)


# --- Sharing sessions -----------------------------------------------------------------------


@login_required
def sharing_sessions(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    can_record = user.has_perm(RECORD)
    if not (can_record or user.has_perm(VIEW_SESSIONS)):
        raise PermissionDenied(_("Knowledge sharing sessions are for service staff and managers."))
    form = SharingSessionForm(request.POST or None) if can_record else None
    status = 200
    if request.method == "POST":
        if form is None:
            raise PermissionDenied(_("You are not allowed to record sharing sessions."))
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            session, status = call_service_with_status(
                form,
                services.sharing_session_record,
                held_on=data["held_on"],
                topic=data["topic"],
                presenter_id=data["presenter"].pk if data["presenter"] else None,
                attendee_ids=[person.pk for person in data["attendees"]],
                notes=data["notes"],
                by=user,
            )
            if session is not None:
                messages.success(
                    request,
                    _("Session “%(topic)s” recorded with %(count)s attendees.")
                    % {"topic": session.topic, "count": session.attendees.count()},
                )
                return redirect("returns:sharing_sessions")
    page = Paginator(selectors.sharing_sessions(), 30).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "form": form,
        "sessions_wanted": settings.ONBOARDING_SHARING_SESSIONS,
        "can_run": user.has_perm(RUN),
    }
    return render(request, "returns/training_sessions.html", context, status=status)
