"""Settings for pytest: the dev defaults (or DATABASE_URL/CELERY_BROKER_URL from CI), fast."""

import os
import tempfile

os.environ.setdefault("DJANGO_DEBUG", "false")
os.environ.setdefault("SECRET_KEY", "test-secret-key-not-for-production-use-0123456789abcdef")
os.environ.setdefault("MEDIA_ROOT", tempfile.mkdtemp(prefix="ecomops-media-"))

from .dev import *  # noqa: F403

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Login throttling stays on; only Django's test client, which signs in without a request
# (client.login), passes axes' backend untouched (production insists on the request).
AUTHENTICATION_BACKENDS = [
    "ecomops.accounts.lockout.TestClientLoginBackend",
    *AUTHENTICATION_BACKENDS[1:],  # noqa: F405
]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Tasks run in-process in tests; the real-worker test builds its own worker against the broker.
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
LANGUAGE_CODE = "zh-hans"

INSTALLED_APPS = [*INSTALLED_APPS, "tests.testapp"]  # noqa: F405
