"""Shop opening use cases (开店): start an opening, its preparation steps, the company
documents and their submission, the platform's review answers, the set-up checklist,
opening the shop (its channel then accepts orders through intake), abandoning, and the
daily reminder of documents running out.

Every write takes the opening's row lock first, so two people moving the same opening are
serialised and the state machine refuses the loser. Each service returns the object
unchanged when it is already where it was asked to go.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_slug
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ecomops.accounts.roles import RoleCode, role_label
from ecomops.accounts.selectors import acting_user, users_with_role
from ecomops.calendar import add_working_days, day_closing
from ecomops.errors import (
    ApplicationError,
    ConflictError,
    PermissionDeniedError,
    require_permission,
)
from ecomops.fsm import transition
from ecomops.notifications.models import Notification
from ecomops.notifications.services import notify_role, notify_users
from ecomops.numbering.services import next_number
from ecomops.sla.services import sla_clock_start, sla_clock_stop
from ecomops.uploads import JPEG, PDF, PNG, detect_document_type, display_name, stored_name

from ..models import (
    RUN_SHOP_OPENING,
    Channel,
    OpeningState,
    OpeningStepRecord,
    ReviewDecision,
    ShopDocument,
    ShopOpening,
    StepPhase,
)
from ..selectors import (
    SHOP_APPROVAL_CLOCK,
    document_problems,
    documents_to_announce,
    next_step,
    opening_process_for,
    step_records,
    user_may_tick,
)

NUMBER_PREFIX = "KD"
DOCUMENT_TYPES = (PDF, JPEG, PNG)
# Documents may be replaced before submission, and renewed once the platform approved
# (a licence that runs out is renewed on the platform too); never while it reviews them.
UPLOAD_STATES = (
    OpeningState.PREPARING,
    OpeningState.DOCUMENTS,
    OpeningState.SETTING_UP,
    OpeningState.OPEN,
)


class ShopOpeningError(ApplicationError):
    """A shop opening step that breaks a rule (field errors under ``fields``)."""


def _fields(message: str, **fields: str) -> ShopOpeningError:
    return ShopOpeningError(message, {"fields": {name: [text] for name, text in fields.items()}})


def _require_run(by: Any) -> None:
    require_permission(by, RUN_SHOP_OPENING, _("You are not allowed to run shop openings."))


def _lock(opening_id: int) -> ShopOpening:
    return ShopOpening.objects.select_for_update().get(pk=opening_id)


def _shop(opening: ShopOpening) -> str:
    return opening.channel.name


def _state_conflict(opening: ShopOpening, message: str) -> ConflictError:
    return ConflictError(
        message % {"number": opening.number, "state": opening.get_state_display()},
        {"state": opening.state},
    )


def _record(opening: ShopOpening, step_id: Any, phase: str | None = None) -> OpeningStepRecord:
    """The opening's record of ``step_id``, locked; a step of another process (or of
    another phase than ``phase``) is refused on the ``step`` field."""
    record = (
        OpeningStepRecord.objects.select_for_update()
        .filter(opening=opening, step_id=step_id)
        .first()
    )
    if record is None or (phase is not None and record.phase != phase):
        raise _fields(_("This step is not one of the opening's."), step=_("Unknown step."))
    return record


def _in_order(opening: ShopOpening, record: OpeningStepRecord) -> None:
    """Steps of the preparation and review phases are taken in order."""
    current = next_step(opening, record.phase)
    if current is not None and current.pk != record.pk:
        raise _fields(
            _("%(earlier)s comes first: it is not done yet.") % {"earlier": current.name},
            step=_("Do %(earlier)s first.") % {"earlier": current.name},
        )


def _mark_done(record: OpeningStepRecord, *, by: Any, note: str, at: Any) -> None:
    record.done_at = at
    record.done_by = acting_user(by)
    record.note = note
    record.save(update_fields=["done_at", "done_by", "note"])


def _clear_review_marks(opening: ShopOpening) -> None:
    """A new submission is reviewed from the first step again."""
    for record in OpeningStepRecord.objects.select_for_update().filter(
        opening=opening, phase=StepPhase.REVIEW, done_at__isnull=False
    ):
        record.done_at = None
        record.done_by = None
        record.note = ""
        record.save(update_fields=["done_at", "done_by", "note"])


def _note(note: str, field: str = "note", limit: int = 500) -> str:
    note = (note or "").strip()
    if len(note) > limit:
        raise _fields(
            _("The note is too long."),
            **{field: _("At most %(count)s characters.") % {"count": limit}},
        )
    return note


# --- Starting -------------------------------------------------------------------------------


def shop_opening_start(
    *, platform: str, code: str, name: str, company_name: str, by: Any
) -> ShopOpening:
    """Open a new shop on ``platform``: its channel (``code``, ``name``) is created
    inactive, and the opening starts with one record per step of the platform's process;
    whoever starts it runs it (its shop manager)."""
    _require_run(by)
    if by is None:
        raise PermissionDeniedError(_("A shop opening is run by a shop manager: sign in."))
    code = (code or "").strip().lower()
    name = (name or "").strip()
    company_name = (company_name or "").strip()
    errors: dict[str, list[str]] = {}
    process = opening_process_for(platform) if platform else None
    if not platform:
        errors["platform"] = [_("Choose the platform.")]
    elif process is None:
        errors["platform"] = [
            _("There is no active opening process for this platform: a manager sets it up.")
        ]
    elif not process.steps.filter(phase=StepPhase.REVIEW).exists():
        errors["platform"] = [
            _("The opening process of this platform has no review steps: a manager completes it.")
        ]
    if not code:
        errors["code"] = [_("This field is required.")]
    else:
        try:
            validate_slug(code)
        except ValidationError:
            errors["code"] = [
                _("Use letters, digits, hyphens and underscores only, e.g. tmall-home.")
            ]
        else:
            if len(code) > 40:
                errors["code"] = [_("At most %(count)s characters.") % {"count": 40}]
            elif Channel.objects.filter(code=code).exists():
                errors["code"] = [_("A channel with the code %(code)s exists.") % {"code": code}]
    if not name:
        errors["name"] = [_("This field is required.")]
    elif len(name) > 100:
        errors["name"] = [_("At most %(count)s characters.") % {"count": 100}]
    if not company_name:
        errors["company_name"] = [_("This field is required.")]
    elif len(company_name) > 200:
        errors["company_name"] = [_("At most %(count)s characters.") % {"count": 200}]
    if errors or process is None:
        raise ShopOpeningError(_("Check the new shop."), {"fields": errors})
    with transaction.atomic():
        try:
            with transaction.atomic():
                channel = Channel.objects.create(
                    code=code, name=name, kind=process.platform, active=False
                )
        except IntegrityError:
            raise _fields(
                _("A channel with the code %(code)s exists.") % {"code": code},
                code=_("Choose another code."),
            ) from None
        opening = ShopOpening.objects.create(
            channel=channel,
            process=process,
            number=next_number(NUMBER_PREFIX),
            company_name=company_name,
            owner=by,
            created_by=acting_user(by),
        )
        OpeningStepRecord.objects.bulk_create(
            [
                OpeningStepRecord(
                    opening=opening,
                    step=step,
                    position=step.position,
                    code=step.code,
                    name=step.name,
                    phase=step.phase,
                    owner_role=step.owner_role,
                )
                for step in process.steps.order_by("position", "pk")
            ]
        )
        if not step_records(opening, StepPhase.PREPARATION):
            # A platform without preparation steps collects the documents at once.
            transition(opening, "prepare_done", by=by)
    return opening


# --- Preparation steps and the set-up checklist ---------------------------------------------


def shop_step_complete(
    *, opening_id: int, step_id: int, by: Any, note: str = ""
) -> OpeningStepRecord:
    """Mark a preparation step or a set-up item done.

    Preparation steps are done in order while the opening is preparing, by whoever runs
    shop openings; the last one moves the opening to its documents. Set-up items are done
    in any order once the platform approved, by a holder of the item's role or a manager.
    Review steps are the platform's: they are passed or rejected, not completed.
    """
    note = _note(note)
    with transaction.atomic():
        opening = _lock(opening_id)
        record = _record(opening, step_id)
        if record.phase == StepPhase.REVIEW:
            raise _fields(
                _("%(step)s is the platform's: record its answer (passed or rejected).")
                % {"step": record.name},
                step=_("A review step."),
            )
        if record.phase == StepPhase.SETUP:
            if not user_may_tick(by, record):
                raise PermissionDeniedError(
                    _("Only the %(role)s (or a manager) marks %(item)s done.")
                    % {"role": role_label(record.owner_role), "item": record.name}
                )
        else:
            _require_run(by)
        if record.done_at is not None:
            return record
        now = timezone.now()
        if record.phase == StepPhase.SETUP:
            if opening.state != OpeningState.SETTING_UP:
                raise _state_conflict(
                    opening,
                    _(
                        "Set-up items are done once the platform approved the shop "
                        "(opening %(number)s is %(state)s)."
                    ),
                )
            _mark_done(record, by=by, note=note, at=now)
            return record
        if opening.state != OpeningState.PREPARING:
            raise _state_conflict(
                opening,
                _("Preparation steps are done while preparing (opening %(number)s is %(state)s)."),
            )
        _in_order(opening, record)
        _mark_done(record, by=by, note=note, at=now)
        if next_step(opening, StepPhase.PREPARATION) is None:
            transition(
                opening,
                "prepare_done",
                by=by,
                reason=_("Every preparation step is done."),
            )
    return record


# --- Documents ------------------------------------------------------------------------------


def shop_document_upload(
    *,
    opening_id: int,
    document_type_id: int,
    upload: Any,
    by: Any,
    expires_on: date | None = None,
    long_term: bool = False,
    licence_number: str = "",
) -> ShopDocument:
    """Upload one of the documents the platform asks for (PDF, JPEG or PNG, checked by its
    bytes). A type with an expiry needs its expiry date (a future one) unless it is
    long-term. It supersedes the current document of its type, which is kept."""
    _require_run(by)
    if not upload:
        raise _fields(_("Choose the file to upload."), file=_("This field is required."))
    try:
        content_type = detect_document_type(
            upload, max_bytes=int(settings.SHOP_DOCUMENT_MAX_BYTES), allowed=DOCUMENT_TYPES
        )
    except ValidationError as exc:
        raise ShopOpeningError(" ".join(exc.messages), {"fields": {"file": exc.messages}}) from None
    licence_number = _note(licence_number, "licence_number", 100)
    original = display_name(getattr(upload, "name", ""), default="document")
    with transaction.atomic():
        opening = _lock(opening_id)
        if opening.state == OpeningState.IN_REVIEW:
            raise _state_conflict(
                opening,
                _(
                    "The platform is reviewing the documents of opening %(number)s: wait for "
                    "its answer before changing them."
                ),
            )
        if opening.state not in UPLOAD_STATES:
            raise _state_conflict(
                opening,
                _("Opening %(number)s is %(state)s: its documents no longer change."),
            )
        document_type = opening.process.document_types.filter(pk=document_type_id).first()
        if document_type is None:
            raise _fields(
                _("This document is not one the platform asks for."),
                document_type=_("Unknown document."),
            )
        if not document_type.has_expiry:
            expires_on, long_term = None, False
        elif long_term:
            expires_on = None
        elif expires_on is None:
            raise _fields(
                _("Enter the date %(document)s runs out, or tick long-term.")
                % {"document": document_type.name},
                expires_on=_("Enter the expiry date, or tick long-term."),
            )
        elif expires_on <= timezone.localdate():
            raise _fields(
                _("%(document)s expired on %(date)s: upload the renewed document.")
                % {"document": document_type.name, "date": expires_on.isoformat()},
                expires_on=_("Expired: upload the renewed document."),
            )
        now = timezone.now()
        for previous in ShopDocument.objects.select_for_update().filter(
            opening=opening, document_type=document_type, superseded_at__isnull=True
        ):
            previous.superseded_at = now
            previous.save(update_fields=["superseded_at"])
        document = ShopDocument(
            opening=opening,
            document_type=document_type,
            name=original,
            content_type=content_type,
            size=upload.size,
            licence_number=licence_number,
            expires_on=expires_on,
            long_term=long_term,
            uploaded_at=now,
            uploaded_by=acting_user(by),
        )
        upload.seek(0)
        # Named from the type its bytes showed, never from the uploader's file name.
        document.file.save(
            stored_name(content_type, prefix=f"{opening.number}-{document_type.code}"),
            upload,
            save=False,
        )
        document.save()
    return document


def _problem_text(problem: Any) -> str:
    if problem.problem == "missing":
        return _("%(document)s: not uploaded yet.") % {"document": problem.document_type.name}
    return _("%(document)s: expired on %(date)s, upload the renewed document.") % {
        "document": problem.document_type.name,
        "date": problem.document.expires_on.isoformat(),
    }


def shop_documents_submit(*, opening_id: int, by: Any) -> ShopOpening:
    """Submit the documents to the platform: every required document there and none run
    out (else each missing or expired one is named, by its type's code). The platform's
    review clock starts: due at closing on the platform's review days later (working days
    from the day of submission). The review steps start again from the first."""
    _require_run(by)
    with transaction.atomic():
        opening = _lock(opening_id)
        if opening.state == OpeningState.IN_REVIEW:
            return opening
        if opening.state != OpeningState.DOCUMENTS:
            raise _state_conflict(
                opening,
                _(
                    "Documents are submitted after the preparation steps and before the "
                    "platform's approval (opening %(number)s is %(state)s)."
                ),
            )
        problems = document_problems(opening)
        if problems:
            texts = [_problem_text(p) for p in problems]
            fields = {p.document_type.code: [t] for p, t in zip(problems, texts, strict=True)}
            raise ShopOpeningError(
                _("The documents cannot be submitted yet: %(problems)s")
                % {"problems": " ".join(texts)},
                {"fields": fields},
            )
        now = timezone.now()
        due_on = add_working_days(
            timezone.localtime(now).date(), opening.process.review_working_days
        )
        _clear_review_marks(opening)
        transition(
            opening,
            "submit",
            by=by,
            at=now,
            due_on=due_on,
            update_fields=["submitted_at", "submissions", "review_due_on"],
        )
        sla_clock_start(
            code=SHOP_APPROVAL_CLOCK,
            obj=opening,
            started_at=now,
            due_at=day_closing(due_on),
            note=_("Submission %(round)s") % {"round": opening.submissions},
        )
    return opening


# --- The platform's review ------------------------------------------------------------------


def _review_conflict(opening: ShopOpening) -> ConflictError:
    return _state_conflict(
        opening,
        _(
            "The platform's answers are recorded while it reviews the documents "
            "(opening %(number)s is %(state)s)."
        ),
    )


def shop_review_pass(*, opening_id: int, step_id: int, by: Any, note: str = "") -> ShopOpening:
    """The platform passed a review step (in order). After the last one the shop is
    approved: the review clock stops and the set-up work is announced to the shop manager
    and to the roles owning set-up items."""
    _require_run(by)
    note = _note(note)
    approved = False
    with transaction.atomic():
        opening = _lock(opening_id)
        record = _record(opening, step_id, StepPhase.REVIEW)
        if record.done_at is not None:
            return opening
        if opening.state != OpeningState.IN_REVIEW:
            raise _review_conflict(opening)
        _in_order(opening, record)
        now = timezone.now()
        ReviewDecision.objects.create(
            opening=opening,
            step_id=record.step_id,
            step_name=record.name,
            round=opening.submissions,
            passed=True,
            reason=note,
            decided_at=now,
            decided_by=acting_user(by),
        )
        _mark_done(record, by=by, note=note, at=now)
        if next_step(opening, StepPhase.REVIEW) is None:
            transition(
                opening,
                "approve",
                by=by,
                reason=_("The platform passed every review step."),
                at=now,
                update_fields=["approved_at"],
            )
            sla_clock_stop(code=SHOP_APPROVAL_CLOCK, obj=opening, stopped_at=now)
            approved = True
    if approved:
        _announce_setup(opening)
    return opening


def _announce_setup(opening: ShopOpening) -> None:
    """Tell the shop manager and every role owning a set-up item that the work waits
    (once per person: one notification key for the approval)."""
    items = step_records(opening, StepPhase.SETUP)
    key = f"shop-opening:{opening.pk}:setup"
    url = opening.get_absolute_url()
    title = _("Shop %(shop)s is approved by the platform: its set-up can start") % {
        "shop": _shop(opening)
    }
    notify_users(
        users=[opening.owner],
        title=title,
        body="\n".join(f"{r.name} ({role_label(r.owner_role)})" for r in items),
        url=url,
        key=key,
    )
    for role in sorted({r.owner_role for r in items}):
        notify_role(
            role=role,
            title=title,
            body="\n".join(r.name for r in items if r.owner_role == role),
            url=url,
            key=key,
        )


def shop_review_reject(*, opening_id: int, step_id: int, reason: str, by: Any) -> ShopOpening:
    """The platform rejected the documents at the review step it was on, for
    ``reason`` (its words): the opening goes back to its documents, the review clock
    stops, and the shop manager is told why."""
    _require_run(by)
    reason = (reason or "").strip()
    if not reason:
        raise _fields(
            _("Write down the platform's reason for the rejection."),
            reason=_("This field is required."),
        )
    reason = _note(reason, "reason", 2000)
    with transaction.atomic():
        opening = _lock(opening_id)
        record = _record(opening, step_id, StepPhase.REVIEW)
        if opening.state == OpeningState.DOCUMENTS:
            last = opening.decisions.order_by("-decided_at", "-pk").first()
            if (
                last is not None
                and not last.passed
                and last.step_id == record.step_id
                and last.round == opening.submissions
            ):
                return opening
        if opening.state != OpeningState.IN_REVIEW:
            raise _review_conflict(opening)
        _in_order(opening, record)
        now = timezone.now()
        decision = ReviewDecision.objects.create(
            opening=opening,
            step_id=record.step_id,
            step_name=record.name,
            round=opening.submissions,
            passed=False,
            reason=reason,
            decided_at=now,
            decided_by=acting_user(by),
        )
        transition(opening, "reject", by=by, reason=reason)
        _clear_review_marks(opening)
        sla_clock_stop(code=SHOP_APPROVAL_CLOCK, obj=opening, stopped_at=now)
    notify_users(
        users=[opening.owner],
        title=_("The platform rejected shop %(shop)s at %(step)s")
        % {
            "shop": _shop(opening),
            "step": record.name,
        },
        body=reason,
        url=opening.get_absolute_url(),
        level=Notification.Level.WARNING,
        key=f"shop-opening:{opening.pk}:rejected:{decision.pk}",
    )
    return opening


# --- Opening, abandoning --------------------------------------------------------------------


def shop_open(*, opening_id: int, by: Any) -> ShopOpening:
    """Open the shop once every set-up item is done: its channel becomes active and
    accepts orders through intake; shop managers and sales reps are told."""
    _require_run(by)
    with transaction.atomic():
        opening = _lock(opening_id)
        if opening.state == OpeningState.OPEN:
            return opening
        if opening.state != OpeningState.SETTING_UP:
            raise _state_conflict(
                opening,
                _(
                    "A shop opens after the platform's approval and its set-up "
                    "(opening %(number)s is %(state)s)."
                ),
            )
        undone = [r for r in step_records(opening, StepPhase.SETUP) if r.done_at is None]
        if undone:
            raise ConflictError(
                _("The shop cannot open before its set-up is done: %(items)s.")
                % {"items": "; ".join(f"{r.name} ({role_label(r.owner_role)})" for r in undone)},
                {"items": [r.code for r in undone]},
            )
        channel = Channel.objects.select_for_update().get(pk=opening.channel_id)
        now = timezone.now()
        transition(opening, "open", by=by, at=now, update_fields=["opened_at"])
        channel.active = True
        channel.save(update_fields=["active"])
        opening.channel = channel
    title = _("Shop %(shop)s is open: its orders come in through intake") % {"shop": channel.name}
    key = f"shop-opening:{opening.pk}:open"
    url = opening.get_absolute_url()
    notify_users(users=[opening.owner], title=title, body=channel.code, url=url, key=key)
    notify_role(role=RoleCode.SHOP_MANAGER, title=title, body=channel.code, url=url, key=key)
    # Sales reps take the shop's orders and do not see openings: they get the channel's page.
    notify_role(
        role=RoleCode.SALES_REP,
        title=title,
        body=channel.code,
        url=channel.get_absolute_url(),
        key=key,
    )
    return opening


def shop_opening_abandon(*, opening_id: int, reason: str, by: Any) -> ShopOpening:
    """Give the opening up, saying why; its channel stays inactive."""
    _require_run(by)
    reason = (reason or "").strip()
    if not reason:
        raise _fields(
            _("Say why the shop opening is abandoned."), reason=_("This field is required.")
        )
    reason = _note(reason, "reason", 300)
    with transaction.atomic():
        opening = _lock(opening_id)
        if opening.state == OpeningState.ABANDONED:
            return opening
        if opening.state == OpeningState.OPEN:
            raise _state_conflict(
                opening,
                _("Opening %(number)s is done: the shop is open. Deactivate its channel instead."),
            )
        now = timezone.now()
        transition(
            opening,
            "abandon",
            by=by,
            reason=reason,
            at=now,
            why=reason,
            update_fields=["abandoned_at", "abandoned_reason"],
        )
        sla_clock_stop(code=SHOP_APPROVAL_CLOCK, obj=opening, stopped_at=now)
    return opening


# --- Documents running out (beat, daily) ----------------------------------------------------


def shop_documents_remind_expiring(*, today: date | None = None) -> int:
    """Tell the opening's shop manager and every shop manager, once per document, that a
    current document of a shop not abandoned runs out within
    ``SHOP_DOCUMENT_EXPIRY_NOTICE_DAYS`` days (or has run out). Returns how many documents
    were announced now; a second run announces none of them again, and a renewed upload
    (a new document) is announced on its own when its time comes."""
    today = today or timezone.localdate()
    until = today + timedelta(days=int(settings.SHOP_DOCUMENT_EXPIRY_NOTICE_DAYS))
    shop_managers = list(users_with_role(RoleCode.SHOP_MANAGER))
    announced = 0
    for pk in list(documents_to_announce(until=until).values_list("pk", flat=True)):
        with transaction.atomic():
            # Waits for a run that holds the document, then reads it as that run left it
            # (announced: skipped). With SKIP LOCKED a run under load once passed over a
            # document that no run then announced (CI, PostgreSQL); a daily job can wait.
            document = (
                ShopDocument.objects.select_for_update()
                .filter(pk=pk, superseded_at__isnull=True, expiry_notified_at__isnull=True)
                .first()
            )
            if document is None or document.expires_on is None:
                continue  # announced meanwhile by another run, or renewed
            opening = ShopOpening.objects.select_related("channel", "owner").get(
                pk=document.opening_id
            )
            if opening.state == OpeningState.ABANDONED:
                continue
            name = document.document_type.name
            values = {
                "document": name,
                "shop": opening.channel.name,
                "date": document.expires_on.isoformat(),
                "days": (document.expires_on - today).days,
            }
            if document.expires_on <= today:
                title = _("%(document)s of shop %(shop)s ran out on %(date)s") % values
                level = Notification.Level.DANGER
            else:
                title = _("%(document)s of shop %(shop)s runs out on %(date)s") % values
                level = Notification.Level.WARNING
            recipients = [opening.owner, *(u for u in shop_managers if u.pk != opening.owner_id)]
            notify_users(
                users=recipients,
                title=title,
                body=_("Renew it in time and upload the renewed document on the opening's page."),
                url=opening.get_absolute_url(),
                level=level,
                key=f"shop-document-expiry:{document.pk}",
            )
            document.expiry_notified_at = timezone.now()
            document.save(update_fields=["expiry_notified_at"])
        announced += 1
    return announced
