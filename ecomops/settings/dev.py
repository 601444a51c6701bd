"""The embedded default: SQLite and Celery's filesystem transport under var/, DEBUG on."""

import os

os.environ.setdefault("DJANGO_DEBUG", "true")

from .base import *  # noqa: F403
from .base import VAR_DIR

for _sub in ("celery/queue", "celery/processed", "celery/control", "media", "static"):
    (VAR_DIR / _sub).mkdir(parents=True, exist_ok=True)
# Development, the demo and tests issue 数电票 through the platform's stand-in (see base.py).
FINANCE_INVOICE_ISSUER = os.environ.get("FINANCE_INVOICE_ISSUER", "sandbox")
