"""Beat's entry points: thin, idempotent, safe to run twice or late (DESIGN §7)."""

from __future__ import annotations

from celery import shared_task

from . import services


@shared_task(acks_late=True)
def release_due_batch() -> str:
    """At 12:00 and 15:00: release the batch just cut; nothing on a non-working day."""
    batch = services.release_due_batch()
    return str(batch) if batch is not None else "not a working day or no cut yet"
