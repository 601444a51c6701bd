"""Beat's "look now" for distribution; each task is safe to run twice or late."""

from __future__ import annotations

from celery import shared_task

from .services import agents, deals, partners


@shared_task(acks_late=True)
def remind_partner_steps() -> int:
    """Next steps of the contact log that fell due: remind their owners once."""
    return partners.contact_steps_remind_due()


@shared_task(acks_late=True)
def daily_distribution() -> dict[str, int]:
    """Authorization letters running out within the reminder days; deals whose listing
    date has come go live."""
    return {
        "expiring": agents.authorizations_remind_expiring(),
        "live": deals.deals_go_live_due(),
    }
