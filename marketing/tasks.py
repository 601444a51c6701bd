"""Beat's "look now" for campaigns; safe to run twice or late."""

from __future__ import annotations

from celery import shared_task

from . import services


@shared_task(acks_late=True)
def campaigns_sweep() -> dict[str, int]:
    """Live campaigns whose window ended move to analysis; coordinated campaigns whose
    window opened go live when their department tasks are done (owners told once if not)."""
    return services.campaigns_sweep()
