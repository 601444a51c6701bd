"""ASGI entry point. Production runs it with DJANGO_SETTINGS_MODULE=ecomops.settings.production."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ecomops.settings.dev")

application = get_asgi_application()
