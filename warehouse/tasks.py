"""Beat's entry points: thin, idempotent, safe to run twice or late (DESIGN §7)."""

from __future__ import annotations

from celery import shared_task

from . import services


@shared_task(acks_late=True)
def release_due_batch() -> str:
    """Every minute: release the batch the cut times (data, ``ecomops.cutoffs``) say is cut;
    nothing on a non-working day or before the first cut, nothing twice."""
    batch = services.release_due_batch()
    return str(batch) if batch is not None else "not a working day or no cut yet"
