"""Stopline settings: everything comes from the environment (see .env.example).

With nothing set you get the zero-setup default: SQLite, Celery tasks run eagerly in-process,
e-mail printed to the console. Production sets DATABASE_URL, REDIS_URL, SECRET_KEY and
ALLOWED_HOSTS and turns DEBUG off (the default).
"""

from pathlib import Path

import environ
from celery.schedules import crontab

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DJANGO_DEBUG", default=False)
# Production must provide a secret; the fallback exists only so a fresh clone runs.
PRODUCTION = env.bool("STOPLINE_PRODUCTION", default=False)
if PRODUCTION:
    SECRET_KEY = env.str("SECRET_KEY")
else:
    SECRET_KEY = env.str("SECRET_KEY", default="insecure-dev-only-key-change-me-0123456789abcdef")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "accounts",
    "criteria",
    "outbox",
    "guardrails",
    "metrics",
    "sampling",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "config.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "builtins": ["criteria.templatetags.criteria_tags"],
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

WSGI_APPLICATION = "config.wsgi.application"

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
# Keep a worker's connection between requests (a new PostgreSQL connection costs more than a
# page); checked before reuse, so a restarted database does not break the next request.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]

LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": env.str(
            "STATICFILES_BACKEND",
            # Production serves compressed, hashed files through WhiteNoise (run collectstatic).
            default="whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage",
        )
    },
}

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "criteria:operation_list"
LOGOUT_REDIRECT_URL = "login"

# Signing asks for the password again when the login is older than this.
STOPLINE_SIGN_REAUTH_SECONDS = env.int("STOPLINE_SIGN_REAUTH_SECONDS", default=15 * 60)

EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="stopline@localhost")
# Every absolute link Stopline writes (e-mails, webhooks, the PDF footer, OFREP event streams)
# starts with this; never with the host of whatever request caused it. STOPLINE_BASE_URL is
# its older name, still read.
SITE_URL = env.str(
    "SITE_URL", default=env.str("STOPLINE_BASE_URL", default="http://127.0.0.1:8000")
)
STOPLINE_BASE_URL = SITE_URL

# Celery: eager (in-process) unless a broker is configured.
REDIS_URL = env.str("REDIS_URL", default="")
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = REDIS_URL or None
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=30 * 60)
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=25 * 60)
# Above the longest task so a slow task is not redelivered while it still runs.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_TASK_TIME_LIMIT + 600}

# Pages cache what changes once a day (charts, indicator series, backtests; see
# config/freshness.py). The cache must be shared by the web processes and the worker: Redis
# when REDIS_URL is set (its own key prefix), else this process's memory (the zero-setup demo,
# one process with eager Celery). STOPLINE_PAGE_CACHE_SECONDS bounds how long a change made
# outside the services (the admin) can stay unseen.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "stopline-cache",
    }
    if REDIS_URL
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "stopline"}
}
STOPLINE_PAGE_CACHE_SECONDS = env.int("STOPLINE_PAGE_CACHE_SECONDS", default=15 * 60)
# Sessions are read from the shared cache (written through to the database); only with a
# shared cache, or a logout in one process would not reach the others' memory.
SESSION_ENGINE = (
    "django.contrib.sessions.backends.cached_db"
    if REDIS_URL
    else "django.contrib.sessions.backends.db"
)

CELERY_BEAT_SCHEDULE: dict = {
    # Mondays 07:00 UTC: one digest per operation for the ISO week that just ended.
    "weekly-digest": {
        "task": "metrics.tasks.weekly_digest_all",
        "schedule": crontab(minute=0, hour=7, day_of_week="mon"),
    },
    # Every morning, evaluate drift for every operation with agreed criteria through
    # yesterday (the last complete local day); fans out one task per operation.
    "drift-evaluate-all": {
        "task": "metrics.tasks.drift_evaluate_all",
        "schedule": crontab(hour=6, minute=15),
    },
    # Every Monday 03:00 UTC: draw last week's review sample for every operation with
    # conversations (one sample_draw_task per operation; a week is drawn only once).
    # Every minute: re-enqueue outbox deliveries whose task was lost (a process that died
    # between commit and enqueue, a worker killed mid-send); sending twice is prevented by the
    # delivery's claim, so this is safe to run as often as we like.
    "outbox-sweep": {
        "task": "outbox.tasks.outbox_sweep_task",
        "schedule": 60.0,
    },
    "sampling-weekly-draw": {
        "task": "sampling.tasks.sample_weekly_task",
        "schedule": crontab(minute=0, hour=3, day_of_week="mon"),
    },
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first so an anonymous request gets 401 with a WWW-Authenticate challenge.
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "config.api_errors.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Stopline API",
    "DESCRIPTION": "Criteria, sign-off, metrics and sampling for AI-to-human handoff.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI from our own static files, not a CDN: Stopline must run offline.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=PRODUCTION)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=PRODUCTION)
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=PRODUCTION)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000 if PRODUCTION else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = PRODUCTION
SECURE_HSTS_PRELOAD = PRODUCTION
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if PRODUCTION else None
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=10 * 1024 * 1024)

# Uploaded data files wait under MEDIA_ROOT/ingest/ until their ingestion run has finished.
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
# Largest data file (upload page or REST body, as sent: a .gz counts compressed).
# The daily feed is reported missing (a no_data alert) after this many local days without data.
STOPLINE_NO_DATA_DAYS = env.int("STOPLINE_NO_DATA_DAYS", default=3)
# Change detection takes its in-control reference from the pilot (the days before go-live, at
# most the last BASELINE_DAYS_MAX of them) or, without one, the first BASELINE_DAYS with data.
STOPLINE_BASELINE_DAYS = env.int("STOPLINE_BASELINE_DAYS", default=28)
STOPLINE_BASELINE_DAYS_MAX = env.int("STOPLINE_BASELINE_DAYS_MAX", default=56)
# A webhook receiver has this many seconds to answer a delivery.
STOPLINE_WEBHOOK_TIMEOUT = env.float("STOPLINE_WEBHOOK_TIMEOUT", default=10.0)
# Outbox deliveries (webhooks, e-mail): the first retry after this many seconds, doubling up
# to the cap, until the give-up age; a try in flight holds its delivery for the lease (longer
# than the webhook timeout) before another worker may take it over.
STOPLINE_OUTBOX_BACKOFF_SECONDS = env.float("STOPLINE_OUTBOX_BACKOFF_SECONDS", default=30.0)
STOPLINE_OUTBOX_BACKOFF_MAX_SECONDS = env.float(
    "STOPLINE_OUTBOX_BACKOFF_MAX_SECONDS", default=3600.0
)
STOPLINE_OUTBOX_GIVE_UP_HOURS = env.float("STOPLINE_OUTBOX_GIVE_UP_HOURS", default=24.0)
STOPLINE_OUTBOX_LEASE_SECONDS = env.float("STOPLINE_OUTBOX_LEASE_SECONDS", default=120.0)
# OFREP change notifications (ADR 0008): each SSE connection lives this many seconds (the
# client reconnects) and checks the flags this often; 0 turns event streams off (clients poll).
# A stream holds a web worker thread: run gunicorn with threads (docker/Dockerfile does).
STOPLINE_OFREP_STREAM_SECONDS = env.float("STOPLINE_OFREP_STREAM_SECONDS", default=55.0)
STOPLINE_OFREP_STREAM_POLL_SECONDS = env.float("STOPLINE_OFREP_STREAM_POLL_SECONDS", default=1.0)
STOPLINE_MAX_UPLOAD_BYTES = env.int("STOPLINE_MAX_UPLOAD_BYTES", default=200 * 1000 * 1000)
# Rows per block on the PostgreSQL ingest fast path (one staging commit and progress step each).
STOPLINE_INGEST_BLOCK_ROWS = env.int("STOPLINE_INGEST_BLOCK_ROWS", default=50_000)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "line": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "config.logging.JsonFormatter"},
    },
    "handlers": {
        "stdout": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
            # Structured JSON lines in production; plain lines for people at a terminal.
            "formatter": env.str("LOG_FORMAT", default="json" if PRODUCTION else "line"),
        }
    },
    "root": {"handlers": ["stdout"], "level": env.str("LOG_LEVEL", default="INFO")},
    # WeasyPrint narrates every rendering step at INFO.
    "loggers": {"weasyprint": {"level": "WARNING"}, "fontTools": {"level": "WARNING"}},
}
