"""Beat's entry points and the release task: thin, idempotent, safe to run twice or late
(DESIGN §7). The release task carries the batch it releases, so a message redelivered
hours later (a worker killed mid-release) finishes that batch, never "whichever batch is
due" at the time it runs."""

from __future__ import annotations

from datetime import date

from celery import shared_task
from django.conf import settings

from ecomops.jobs import send_now

from . import services
from .models import BatchState
from .services.confirmations import confirmation_task_run


@shared_task(acks_late=True)
def release_due_batch() -> str:
    """Every minute: cut the batches the cut times (data, ``ecomops.cutoffs``) say are cut
    (their rows created, so the database knows) and send one ``release_batch`` per batch cut
    now; nothing on a non-working day or before the first cut, nothing twice. A batch whose
    release did not finish is the resume sweep's (``resume_batches``)."""
    cut = services.batches_cut()
    if not cut:
        return "not a working day or no cut yet"
    for batch, created in cut:
        if created and batch.state == BatchState.RELEASING:
            send_now(
                "warehouse.tasks.release_batch",
                batch_date=batch.batch_date.isoformat(),
                slot=batch.slot,
            )
    return str(cut[-1][0])


@shared_task(acks_late=True)
def release_batch(batch_date: str, slot: int) -> str:
    """Release the (date, slot) batch: exactly once per note, however often it runs."""
    batch = services.batch_release(
        batch_date=date.fromisoformat(batch_date),
        slot=slot,
        by=None,
        chunk_size=int(settings.WAREHOUSE_RELEASE_CHUNK),
    )
    return f"{batch}: {batch.state}"


@shared_task(acks_late=True)
def resume_batches() -> list[str]:
    """Every two minutes: finish any batch a release left half done (a worker killed
    mid-release, a lost message), whatever its date."""
    return [str(batch) for batch in services.batches_resume()]


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
