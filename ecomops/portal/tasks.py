from celery import shared_task
from django.utils import timezone


@shared_task(name="ecomops.portal.tasks.ping")
def ping() -> str:
    """A health check: answers "pong" with the worker's time, touching nothing."""
    return f"pong {timezone.now().isoformat()}"
