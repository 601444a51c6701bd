"""The Celery app. Beat reads its schedule from the database (django-celery-beat)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ecomops.settings.dev")

app = Celery("ecomops")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
