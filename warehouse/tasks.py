"""Beat's entry points: thin, idempotent, safe to run twice or late (DESIGN §7)."""

from __future__ import annotations

from celery import shared_task

from . import services
from .services.confirmations import confirmation_task_run


@shared_task(acks_late=True)
def release_due_batch() -> str:
    """Every minute: release the batch the cut times (data, ``ecomops.cutoffs``) say is cut;
    nothing on a non-working day or before the first cut, nothing twice."""
    batch = services.release_due_batch()
    return str(batch) if batch is not None else "not a working day or no cut yet"


@shared_task(acks_late=True)
def deliver_shipment_confirmations(
    manifest_id: int | None = None, confirmation_ids: list[int] | None = None
) -> str:
    """After a hand-over (its manifest), a retry (the rows), and every minute from beat (all
    due): post the due shipment confirmations to their channels. Each row is claimed while
    posted, so a rerun, a redelivered message or two workers post it once per attempt."""
    report = confirmation_task_run(manifest_id=manifest_id, confirmation_ids=confirmation_ids)
    return (
        f"{len(report.confirmed)} confirmed, {len(report.retrying)} to retry, "
        f"{len(report.failed)} not confirmed"
    )
