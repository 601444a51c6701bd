"""Settings shared by every environment; everything that differs comes from the environment."""

from __future__ import annotations

from datetime import time, timedelta
from decimal import Decimal
from pathlib import Path

import django_stubs_ext
import environ
from csp.constants import NONCE as CSP_NONCE
from django.utils.translation import gettext_lazy as _

# Lets admin.ModelAdmin[Model] and friends be subscripted at runtime, as django-stubs types them.
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parents[2]
VAR_DIR = Path(environ.Env().str("ECOMOPS_VAR_DIR", default=str(BASE_DIR / "var")))

env = environ.Env()
if (BASE_DIR / ".env").exists():
    environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DJANGO_DEBUG", default=False)
DEV_SECRET_KEY = "django-insecure-dev-only-key-never-used-in-production"
SECRET_KEY = env.str("SECRET_KEY", default=DEV_SECRET_KEY if DEBUG else environ.Env.NOTSET)
ALLOWED_HOSTS: list[str] = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS: list[str] = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# The business apps, lowest layer first (DESIGN §1); each is mounted at /<app>/ by the URLconf.
BUSINESS_APPS = [
    "listings",
    "orders",
    "warehouse",
    "finance",
    "returns",
    "distribution",
    "marketing",
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    # third party
    "django_fsm",
    "django_fsm_log",
    "django_celery_beat",
    "django_htmx",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # the API docs page's scripts, served from here (no CDN)
    "django_filters",
    "simple_history",
    "axes",  # login throttling (ecomops.accounts.lockout)
    "csp",
    # kernel
    "ecomops.accounts",
    "ecomops.workcalendar",
    "ecomops.numbering",
    "ecomops.notifications",
    "ecomops.sla",
    "ecomops.audit",
    "ecomops.portal",
    "ecomops.worktasks",
    "ecomops.staffing",
    *BUSINESS_APPS,
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # A NUL in a search box (?q=%00) is dropped before anything reads the query:
    # PostgreSQL refuses one in text.
    "ecomops.bounds.QueryNulMiddleware",
    # django-csp's, with the settings' policy built once a process (ecomops.csp_headers)
    "ecomops.csp_headers.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as axes asks: turns a locked-out sign-in into the login page saying until when.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "ecomops.urls"
WSGI_APPLICATION = "ecomops.wsgi.application"
ASGI_APPLICATION = "ecomops.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "ecomops.portal.context_processors.portal",
            ],
        },
    },
]

DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'ecomops.sqlite3'}"),
}
DATABASES["default"].setdefault("ATOMIC_REQUESTS", False)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets web, worker and beat share the embedded database without "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # the same backend, with a health check that asks the server only when the
        # connection's socket says something happened (ecomops/pgbackend)
        DATABASES["default"]["ENGINE"] = "ecomops.pgbackend"
# The hottest fixed statements (a push's reads, a pack station's) are prepared once per
# connection on PostgreSQL (ecomops.compiled.execute). Off behind a pooler that hands one
# client's statements to other server connections (PgBouncer in transaction mode).
DB_PREPARED_STATEMENTS = env.bool("DB_PREPARED_STATEMENTS", default=True)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "portal:home"
LOGOUT_REDIRECT_URL = "login"

# --- Login throttling (django-axes; ecomops.accounts.lockout) ----------------------------
# Axes' backend goes first: it refuses a locked-out sign-in before the password is checked,
# and it needs the request (LoginView and the admin pass it to authenticate()).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_HANDLER = "ecomops.accounts.lockout.LockoutHandler"
# A username at one address is locked after this many failed sign-ins ...
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
# ... an address trying many usernames after this many, whatever the usernames ...
LOGIN_ADDRESS_FAILURE_LIMIT = env.int("LOGIN_ADDRESS_FAILURE_LIMIT", default=20)
# ... until its failures are this old (a manager can unlock sooner in the admin).
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_LOCKOUT_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address"]
# A try refused during a lock is not counted, so the lock ends when the login page says.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
# A successful sign-in forgets that username's failures at that address (not the address's).
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "ecomops.accounts.lockout.lockout_response"
# The client's address: REMOTE_ADDR, or behind N reverse proxies (production sits behind
# one) the address the outermost proxy put into X-Forwarded-For, which a client cannot forge.
LOGIN_PROXY_COUNT = env.int("LOGIN_PROXY_COUNT", default=0)
AXES_CLIENT_IP_CALLABLE = "ecomops.accounts.lockout.client_address"

# --- Language and time -------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
# Django merges catalogues LOCALE_PATHS first, then INSTALLED_APPS in order, then its own:
# the first that translates a message wins. Only the kernel's and the shared templates'
# catalogue is listed here; each business app's catalogue (its locale/) is found through
# app loading. No catalogue of ours translates a Django or third-party message differently,
# and one English word with two meanings has a context per meaning (pgettext), so the order
# never decides what a screen says (tests/ecomops/test_translations.py).
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "Asia/Shanghai"
USE_TZ = True

# --- Static and media --------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# --- Uploads and the Content-Security-Policy ----------------------------------------------
# A picture declaring more pixels than this is refused before it is decoded (decompression
# bombs); each kind of upload has its own size limit in bytes (RETURNS_PHOTO_LIMITS, ...).
UPLOAD_IMAGE_MAX_PIXELS = env.int("UPLOAD_IMAGE_MAX_PIXELS", default=50_000_000)
# Every page (django-csp): scripts and style sheets from this server only, an inline
# <script> or <style> only with the response's nonce (request.csp_nonce); style attributes
# (bar widths) stay allowed, as they cannot run anything. Uploads are served with their own
# stricter policy (ecomops.uploads.file_response).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'", CSP_NONCE],
        "style-src": ["'self'", CSP_NONCE],
        "style-src-attr": ["'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'self'"],
    },
}

# --- E-mail ------------------------------------------------------------------------------
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="ecomops <noreply@ecomops.local>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Celery (DESIGN §6, §7) --------------------------------------------------------------
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default=None) or None
CELERY_TIMEZONE = TIME_ZONE
CELERY_ENABLE_UTC = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = CELERY_RESULT_BACKEND is None
# The longest tasks (nightly reconciliation: 8.4 s for 1,000,000 orders; a 100,000-order
# batch release: 15-27 s, docs/benchmarks.md) finish far inside the hard time limit
# (30 min), and the limit is half the visibility timeout (1 h): Redis never hands a message
# to a second worker while the first still runs it (the limit kills it first). A worker
# killed outright has its acks-late messages redelivered after the visibility timeout; the
# sweeps finish its work within minutes before that (docs/reliability.md).
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=30 * 60)
CELERY_TASK_SOFT_TIME_LIMIT = CELERY_TASK_TIME_LIMIT - 60
CELERY_BROKER_VISIBILITY_TIMEOUT = CELERY_TASK_TIME_LIMIT * 2
# A request publishing after commit waits at most about a second for a broker that is down
# (then the error is logged and a sweep sends the work later, ecomops.jobs).
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
}
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_TASK_ACKS_LATE = False  # per task: only idempotent tasks set acks_late=True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# A catch-up run older than this is skipped rather than fired at an odd hour.
CELERY_BEAT_CRON_STARTING_DEADLINE = env.int("CELERY_BEAT_CRON_STARTING_DEADLINE", default=300)
if CELERY_BROKER_URL.startswith("filesystem://"):
    # Every folder of the filesystem transport lives under var/, none in the folder the
    # process happens to start in.
    _celery_dir = VAR_DIR / "celery"
    CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {
        "data_folder_in": str(_celery_dir / "queue"),
        "data_folder_out": str(_celery_dir / "queue"),
        "processed_folder": str(_celery_dir / "processed"),
        "store_processed": False,
        # The exchange tables (worker broadcasts such as `celery inspect`): kombu's default
        # is ./control, relative to the working directory.
        "control_folder": str(_celery_dir / "control"),
    }
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": CELERY_BROKER_VISIBILITY_TIMEOUT,
        "socket_connect_timeout": 2,
    }
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_BROKER_VISIBILITY_TIMEOUT}

# --- REST framework ----------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "EXCEPTION_HANDLER": "ecomops.api.exception_handler",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "ecomops API",
    "DESCRIPTION": "Signed channel, carrier and payment endpoints of the ecomops back office.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # The docs page's scripts come with drf-spectacular-sidecar: pinned, and the page works
    # offline (the default loads the latest release from a public CDN).
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Several endpoints have a field named "kind", each with its own choices: each set is
    # named after what it classifies (otherwise the schema gets Kind02dEnum and a warning).
    "ENUM_NAME_OVERRIDES": {
        "CustomerKindEnum": "orders.models.CustomerKind",
        "InvoiceKindEnum": "orders.models.InvoiceKind",
        "CarrierEventKindEnum": "warehouse.models.CarrierEventKind",
    },
}

# --- django-fsm-log ----------------------------------------------------------------------
DJANGO_FSM_LOG_STORAGE_METHOD = "django_fsm_log.backends.SimpleBackend"

# --- Business settings (DESIGN §3, §4) ---------------------------------------------------
WORKING_HOURS_START = time.fromisoformat(env.str("WORKING_HOURS_START", default="09:00"))
WORKING_HOURS_END = time.fromisoformat(env.str("WORKING_HOURS_END", default="18:00"))
CUTOFF_SLOTS = (12, 15)
# Delivery notes per wave at most (a wave is one pick round for one carrier).
WAREHOUSE_WAVE_SIZE = env.int("WAREHOUSE_WAVE_SIZE", default=60)
# Delivery notes released (and committed) per step: a worker killed mid-release loses at
# most one step, which the resume sweep picks up (warehouse.tasks.resume_batches).
WAREHOUSE_RELEASE_CHUNK = env.int("WAREHOUSE_RELEASE_CHUNK", default=10_000)
# Listings: first monthly online sales target = offline monthly sales x this ratio.
LISTING_ONLINE_TARGET_RATIO = env.float("LISTING_ONLINE_TARGET_RATIO", default=0.3)
LISTING_IMAGE_LIMITS = {
    "max_bytes": env.int("LISTING_IMAGE_MAX_BYTES", default=5 * 1024 * 1024),
    "min_width": env.int("LISTING_IMAGE_MIN_WIDTH", default=800),
    "min_height": env.int("LISTING_IMAGE_MIN_HEIGHT", default=800),
}
# Finance: invoice requests in before this time on a working day are issued that day.
FINANCE_INVOICE_CUTOFF = time.fromisoformat(env.str("FINANCE_INVOICE_CUTOFF", default="15:00"))
# Invoice number series per kind: the series code the 8-digit counter follows.
FINANCE_INVOICE_SERIES = {
    "ordinary": env.str("FINANCE_INVOICE_SERIES_ORDINARY", default="044002600111"),
    "special": env.str("FINANCE_INVOICE_SERIES_SPECIAL", default="4400264130"),
}
# Fully digital e-invoices (数电票): who issues them (finance.services.issuers): "batch" (the
# tax platform's 批量开具 template and result file), "manual" (number typed in), or "sandbox"
# (a stand-in for the platform in the demo, simulate_day and tests; never in production).
FINANCE_INVOICE_ISSUER = env.str("FINANCE_INVOICE_ISSUER", default="batch")
# The province's 2-digit code inside 数电票 numbers (33: Zhejiang), used by the sandbox only.
FINANCE_DIGITAL_REGION = env.str("FINANCE_DIGITAL_REGION", default="33")
# On-account orders are due this many days after acceptance; later is overdue.
FINANCE_PAYMENT_TERMS_DAYS = env.int("FINANCE_PAYMENT_TERMS_DAYS", default=30)
# Days a platform-paid order may wait for its line on an imported statement before the
# nightly reconciliation lists it (issue 22 §1).
FINANCE_STATEMENT_GRACE_DAYS = env.int("FINANCE_STATEMENT_GRACE_DAYS", default=15)
# The seller as printed on invoices (销售方).
COMPANY_TAX_ID = env.str("COMPANY_TAX_ID", default="91330109MA2B3C4D5Q")
COMPANY_ADDRESS_PHONE = env.str(
    "COMPANY_ADDRESS_PHONE", default="杭州市萧山区建设二路666号 0571-88886666"
)
COMPANY_BANK_ACCOUNT = env.str(
    "COMPANY_BANK_ACCOUNT", default="中国工商银行杭州萧山支行 1202012345678901234"
)
# Returns: days after delivery a customer may still ask for a return (managers may override).
RETURNS_WINDOW_DAYS = env.int("RETURNS_WINDOW_DAYS", default=7)
# A confirmed return without goods: remind service after N days, close it after M days.
RETURNS_GOODS_REMINDER_DAYS = env.int("RETURNS_GOODS_REMINDER_DAYS", default=15)
RETURNS_GOODS_EXPIRE_DAYS = env.int("RETURNS_GOODS_EXPIRE_DAYS", default=10)
# The customer's photo link works once, for this many hours.
RETURNS_PHOTO_LINK_HOURS = env.int("RETURNS_PHOTO_LINK_HOURS", default=48)
RETURNS_PHOTO_LIMITS = {
    "max_bytes": env.int("RETURNS_PHOTO_MAX_BYTES", default=8 * 1024 * 1024),
    "max_count": env.int("RETURNS_PHOTO_MAX_COUNT", default=6),
}
# Replacement orders of exchanges come in on this channel (created by a returns migration).
RETURNS_REPLACEMENT_CHANNEL = env.str("RETURNS_REPLACEMENT_CHANNEL", default="aftersales")
# Distribution: an agent's first order must be paid up to at least this much (CNY).
DISTRIBUTION_AGENT_FIRST_ORDER_MIN = Decimal(
    env.str("DISTRIBUTION_AGENT_FIRST_ORDER_MIN", default="4000.00")
)
# Brand authorization letters run this many months; their owner is reminded N days ahead.
DISTRIBUTION_AUTHORIZATION_MONTHS = env.int("DISTRIBUTION_AUTHORIZATION_MONTHS", default=12)
DISTRIBUTION_AUTHORIZATION_REMINDER_DAYS = env.int(
    "DISTRIBUTION_AUTHORIZATION_REMINDER_DAYS", default=30
)
# A distributor's shop must meet every one of these to be accepted.
DISTRIBUTION_SCREENING = {
    "min_shop_rating": Decimal(env.str("DISTRIBUTION_MIN_SHOP_RATING", default="4.60")),
    "min_monthly_sales": env.int("DISTRIBUTION_MIN_MONTHLY_SALES", default=50000),
    "min_years_open": Decimal(env.str("DISTRIBUTION_MIN_YEARS_OPEN", default="1")),
}
# Papers attached to a group-buying proposal: PDF, JPEG or PNG, at most this size.
DISTRIBUTION_DOCUMENT_MAX_BYTES = env.int(
    "DISTRIBUTION_DOCUMENT_MAX_BYTES", default=10 * 1024 * 1024
)
# A group-buying site remits this many days after the deal's orders shipped, unless agreed.
DISTRIBUTION_REMITTANCE_DAYS = env.int("DISTRIBUTION_REMITTANCE_DAYS", default=15)
# Signed pushes older or newer than this are refused (seconds).
API_SIGNATURE_MAX_SKEW = 300
# Input bounds (issue 23 §5; the rest in ecomops/bounds.py): one signed request (an order, a
# payment, an event) at most this many bytes; a page of up to 500 orders or payments, and any
# other request's form fields, at most DATA_UPLOAD_MAX_MEMORY_SIZE (Django's ceiling).
API_MAX_BODY_BYTES = env.int("API_MAX_BODY_BYTES", default=256 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=5 * 1024 * 1024)
# Files finance imports (a bank's, Alipay's or WeChat Pay's statement; the 数电票 platform's
# result file and issued files), each at most this size; and a list of waybill numbers.
FINANCE_IMPORT_MAX_BYTES = env.int("FINANCE_IMPORT_MAX_BYTES", default=50 * 1024 * 1024)
WAYBILL_LIST_MAX_BYTES = env.int("WAYBILL_LIST_MAX_BYTES", default=2 * 1024 * 1024)
# Path to a TrueType CJK font (.ttf/.ttc) for PDFs; empty means "find an installed one".
PDF_CJK_FONT_PATH = env.str("PDF_CJK_FONT_PATH", default="")
PDF_CJK_FONT_SUBFONT_INDEX = env.int("PDF_CJK_FONT_SUBFONT_INDEX", default=0)
COMPANY_NAME = env.str("COMPANY_NAME", default="杭州优选电子商务有限公司")
# The address staff open the portal at (scheme, host, port): links in e-mails start with it.
# `make run` sets it from PORT; set it wherever the portal is served on another address.
PORTAL_BASE_URL = env.str("PORTAL_BASE_URL", default="http://127.0.0.1:8000")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # Failed sign-ins and lockouts (WARNING) stay; not every successful one.
        "axes": {"level": "WARNING"},
    },
}

# --- Marketing (campaigns) ---------------------------------------------------------------
# A campaign's department tasks are due this many hours before its window opens.
MARKETING_TASK_LEAD_HOURS = env.int("MARKETING_TASK_LEAD_HOURS", default=24)

# --- Department tasks and staffing requests (ecomops.worktasks, ecomops.staffing) ----------
# Largest attachment on a task or a status report.
WORKTASKS_ATTACHMENT_MAX_BYTES = env.int("WORKTASKS_ATTACHMENT_MAX_BYTES", default=10 * 1024 * 1024)

# --- Shop opening (orders) ------------------------------------------------------------------
# A shop document (business licence, ID, brand authorization) that runs out within this many
# days is announced to the shop manager, once per document.
SHOP_DOCUMENT_EXPIRY_NOTICE_DAYS = env.int("SHOP_DOCUMENT_EXPIRY_NOTICE_DAYS", default=30)
# Largest document upload (PDF, JPEG or PNG).
SHOP_DOCUMENT_MAX_BYTES = env.int("SHOP_DOCUMENT_MAX_BYTES", default=10 * 1024 * 1024)

# --- Service staff onboarding (returns) -----------------------------------------------------
# Working days a new service employee spends reading the listed products.
ONBOARDING_FAMILIARIZATION_DAYS = env.int("ONBOARDING_FAMILIARIZATION_DAYS", default=2)
# Questions per product quiz, and the share of right answers that passes (percent).
ONBOARDING_QUIZ_QUESTIONS = env.int("ONBOARDING_QUIZ_QUESTIONS", default=10)
ONBOARDING_QUIZ_PASS_PERCENT = env.int("ONBOARDING_QUIZ_PASS_PERCENT", default=80)
# Knowledge sharing sessions a trainee attends before being cleared.
ONBOARDING_SHARING_SESSIONS = env.int("ONBOARDING_SHARING_SESSIONS", default=2)
