from celery import shared_task

from .services import calendar_warn_managers


@shared_task(acks_late=True)
def check_calendar_coverage() -> int:
    """Idempotent: each warning is a keyed notification, made once per manager."""
    return calendar_warn_managers()
