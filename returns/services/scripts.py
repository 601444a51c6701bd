"""Reply scripts (话术): the prepared answers of the service knowledge base.

Every change is kept (django-simple-history) with who made it and why, so a customer's
complaint about what service told them can be checked against the script of that day.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ecomops.accounts.selectors import acting_user
from ecomops.errors import ApplicationError, require_permission

from ..models import ReplyScript, ScriptAudience, ScriptCategory

EDIT_SCRIPT = "returns.edit_replyscript"
QUESTION_MAX = ReplyScript._meta.get_field("question").max_length or 300
# simple_history keeps the reason of a change in 100 characters.
CHANGE_NOTE_MAX = 100


class ScriptError(ApplicationError):
    """A reply script that cannot be saved as written."""


def _clean(*, category: str, audience: str, question: str, answer: str) -> tuple[str, str]:
    fields: dict[str, list[str]] = {}
    question = (question or "").strip()
    answer = (answer or "").strip()
    if category not in ScriptCategory.values:
        fields["category"] = [_("Choose a category.")]
    if audience not in ScriptAudience.values:
        fields["audience"] = [_("Choose who uses it.")]
    if not question:
        fields["question"] = [_("Write the customer's question.")]
    elif len(question) > QUESTION_MAX:
        fields["question"] = [
            _("Keep the question within %(max)d characters.") % {"max": QUESTION_MAX}
        ]
    if not answer:
        fields["answer"] = [_("Write the answer to give.")]
    if fields:
        raise ScriptError(_("The script is not complete."), {"fields": fields})
    return question, answer


def script_create(
    *, category: str, audience: str, question: str, answer: str, by: Any
) -> ReplyScript:
    require_permission(by, EDIT_SCRIPT)
    question, answer = _clean(
        category=category, audience=audience, question=question, answer=answer
    )
    user = acting_user(by)
    script = ReplyScript(
        category=category,
        audience=audience,
        question=question,
        answer=answer,
        active=True,
        updated_at=timezone.now(),
        updated_by=user,
    )
    script._history_user = user  # type: ignore[attr-defined]
    with transaction.atomic():
        script.save()
    return script


def script_update(
    *,
    script_id: int,
    category: str,
    audience: str,
    question: str,
    answer: str,
    active: bool,
    change_note: str = "",
    by: Any,
) -> ReplyScript:
    """Change a script, keeping the version before in its history; saving it unchanged
    records nothing."""
    require_permission(by, EDIT_SCRIPT)
    question, answer = _clean(
        category=category, audience=audience, question=question, answer=answer
    )
    with transaction.atomic():
        script = ReplyScript.objects.select_for_update().get(pk=script_id)
        new = {
            "category": category,
            "audience": audience,
            "question": question,
            "answer": answer,
            "active": bool(active),
        }
        if all(getattr(script, name) == value for name, value in new.items()):
            return script
        user = acting_user(by)
        for name, value in new.items():
            setattr(script, name, value)
        script.updated_at = timezone.now()
        script.updated_by = user
        script._history_user = user  # type: ignore[attr-defined]
        script._change_reason = (change_note or "").strip()[:CHANGE_NOTE_MAX] or None  # type: ignore[attr-defined]
        script.save(update_fields=[*new, "updated_at", "updated_by"])
    return script
