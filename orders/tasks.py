"""Beat's "look now" for orders; each task is safe to run twice or late."""

from __future__ import annotations

from celery import shared_task

from . import services


@shared_task(acks_late=True)
def shop_documents_remind_expiring() -> int:
    """Announce, once per document, the shop documents running out within the notice
    period (daily): to the opening's shop manager and every shop manager."""
    return services.shop_documents_remind_expiring()
