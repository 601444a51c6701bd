"""Beat's "look now" for returns and callbacks; each task is safe to run twice or late."""

from __future__ import annotations

from celery import shared_task

from .services import cases, requests


@shared_task(acks_late=True)
def chase_returns() -> dict[str, int]:
    reminded, expired = requests.returns_chase()
    return {"reminded": reminded, "expired": expired}


@shared_task(acks_late=True)
def remind_callbacks() -> int:
    return cases.callbacks_remind_due()
