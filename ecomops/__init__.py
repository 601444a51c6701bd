"""ecomops: the project package and the shared kernel (calendar, cutoffs, SLA clocks, ...)."""

from .celery import app as celery_app

__all__ = ["celery_app"]
