from celery import shared_task

from . import services


@shared_task(name="ecomops.sla.tasks.sweep_sla_clocks", acks_late=True)
def sweep_sla_clocks() -> int:
    """Beat's "look now" every minute: mark and notify the clocks that ran out."""
    return services.sla_sweep()
