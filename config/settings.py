"""Stopline settings: everything comes from the environment (see .env.example).

With nothing set you get the zero-setup default: SQLite, Celery tasks run eagerly in-process,
e-mail printed to the console. Production sets DATABASE_URL, REDIS_URL, SECRET_KEY and
ALLOWED_HOSTS and turns DEBUG off (the default).
"""

from datetime import timedelta
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
    "knox",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "accounts",
    "criteria",
    "outbox",
    "guardrails",
    "metrics",
    "sampling",
    "axes",
    "csp",
    "pgtrigger",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    # Before CSRF and the views: a NUL character in a parameter is a 400, never a 500.
    "config.middleware.NulRefuse",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes asks: turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
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

AUTHENTICATION_BACKENDS = [
    # First: refuses any login attempt while the username or the address is locked out.
    "axes.backends.AxesStandaloneBackend",
    # Passwords, unless one of the user's organizations turned them off (SSO only).
    "accounts.auth.PasswordBackend",
    # OpenID Connect, matched to memberships by verified e-mail (only when configured).
    "accounts.oidc.StoplineOIDCBackend",
]

# Brute force (django-axes): after AXES_FAILURE_LIMIT failed logins for one username, or from
# one address, that username or address is locked out for AXES_COOLOFF_MINUTES; an admin
# unlocks it earlier under Admin > Axes > Access attempts (or `manage.py axes_reset_username`).
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=10)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=30))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "accounts.views.locked_out"
# The client address is REMOTE_ADDR unless the proxy in front is trusted to set
# X-Forwarded-For (AXES_TRUSTED_PROXY_COUNT=1 behind one proxy); otherwise a client could
# pick a new address per attempt.
AXES_IPWARE_PROXY_COUNT = env.int("AXES_TRUSTED_PROXY_COUNT", default=0) or None
AXES_IPWARE_META_PRECEDENCE_ORDER = (
    ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"] if AXES_IPWARE_PROXY_COUNT else ["REMOTE_ADDR"]
)

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
# Also holds the API throttling counters, which all web processes must share.
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
    # Every night 02:30 UTC: erase transcript text older than each organization's retention
    # (Organization.retention_days, default 400); figures and review scores stay.
    "transcripts-purge": {
        "task": "sampling.tasks.transcripts_purge_task",
        "schedule": crontab(minute=30, hour=2),
    },
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
        "accounts.tokens.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # 429 with Retry-After past these rates (accounts/throttling.py reads them per request).
    "DEFAULT_THROTTLE_CLASSES": [
        "accounts.throttling.AnonThrottle",
        "accounts.throttling.TokenThrottle",
        "accounts.throttling.SessionUserThrottle",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "config.pagination.StrictPageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "config.api_errors.exception_handler",
    # DRF's own, with JSON nested too deeply answered 400 (config/api_parsers.py).
    "DEFAULT_PARSER_CLASSES": [
        "config.api_parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_METADATA_CLASS": "config.api_metadata.StoplineMetadata",
}
# Requests per minute: anonymous clients per address, each API token, each logged-in user.
STOPLINE_THROTTLE_RATES = {
    "anon": env.str("THROTTLE_ANON", default="60/minute"),
    "token": env.str("THROTTLE_TOKEN", default="600/minute"),
    "user": env.str("THROTTLE_USER", default="600/minute"),
    # Each OFREP/API key: an AI platform asks for the flags once per conversation.
    "api_key": env.str("THROTTLE_API_KEY", default="6000/minute"),
}
# API tokens (django-rest-knox): stored as SHA-512 digests, named, expiring; shown once.
# knox's own AuthToken is swapped for ours; its migrations would still create an unused table.
MIGRATION_MODULES = {"knox": None}
KNOX_TOKEN_MODEL = "accounts.ApiToken"  # noqa: S105 (a model name, not a secret)
REST_KNOX = {
    "TOKEN_TTL": timedelta(days=env.int("API_TOKEN_DEFAULT_DAYS", default=90)),
    "AUTH_HEADER_PREFIX": "Token",
    "TOKEN_PREFIX": "stl_",
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
    # Every operation documents the error format and statuses (config/api_schema.py).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "config.api_schema.add_error_responses",
    ],
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
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Content-Security-Policy (django-csp): scripts and styles only from our own static files, never
# inline (the board's bars are SVG rectangles, htmx's indicator styles are in stopline.css);
# no framing.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'", *env.list("OIDC_FORM_ACTION_ORIGINS", default=[])],
        "frame-ancestors": ["'none'"],
    }
}

# OpenID Connect single sign-on (mozilla-django-oidc); on when OIDC_RP_CLIENT_ID is set.
# The endpoints are those of the provider's discovery document (.well-known/openid-configuration).
OIDC_ENABLED = bool(env.str("OIDC_RP_CLIENT_ID", default=""))
OIDC_RP_CLIENT_ID = env.str("OIDC_RP_CLIENT_ID", default="")
OIDC_RP_CLIENT_SECRET = env.str("OIDC_RP_CLIENT_SECRET", default="")
OIDC_RP_SIGN_ALGO = env.str("OIDC_RP_SIGN_ALGO", default="RS256")
OIDC_RP_SCOPES = "openid email profile"
OIDC_OP_AUTHORIZATION_ENDPOINT = env.str("OIDC_OP_AUTHORIZATION_ENDPOINT", default="")
OIDC_OP_TOKEN_ENDPOINT = env.str("OIDC_OP_TOKEN_ENDPOINT", default="")
OIDC_OP_USER_ENDPOINT = env.str("OIDC_OP_USER_ENDPOINT", default="")
OIDC_OP_JWKS_ENDPOINT = env.str("OIDC_OP_JWKS_ENDPOINT", default="")
# Match the ID token's signing key by its kid (providers with one key may publish none).
OIDC_VERIFY_KID = env.bool("OIDC_VERIFY_KID", default=True)
OIDC_PROVIDER_NAME = env.str("OIDC_PROVIDER_NAME", default="your company account")
# Only existing members sign in: an unknown e-mail gets a clear refusal, no new account.
OIDC_CREATE_USER = False
OIDC_USE_NONCE = True
OIDC_USE_PKCE = True
OIDC_AUTHENTICATE_CLASS = "accounts.oidc.AuthenticationRequestView"
OIDC_CALLBACK_CLASS = "accounts.oidc.CallbackView"
OIDC_STORE_ID_TOKEN = False
LOGIN_REDIRECT_URL_FAILURE = "/accounts/login/?sso=failed"

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
# Webhooks go to public addresses only (outbox.addresses); allow private ones for receivers
# inside your own network.
STOPLINE_WEBHOOK_ALLOW_PRIVATE = env.bool("STOPLINE_WEBHOOK_ALLOW_PRIVATE", default=False)
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
STOPLINE_INGEST_BLOCK_ROWS = env.int("STOPLINE_INGEST_BLOCK_ROWS", default=25_000)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "line": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "config.logging.JsonFormatter"},
    },
    "handlers": {
        # On stderr: stdout is what commands print for scripts (`evaluate --json`,
        # `export_criteria`), which a log line must not break. Containers collect both.
        "stderr": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stderr",
            # Structured JSON lines in production; plain lines for people at a terminal.
            "formatter": env.str("LOG_FORMAT", default="json" if PRODUCTION else "line"),
        }
    },
    "root": {"handlers": ["stderr"], "level": env.str("LOG_LEVEL", default="INFO")},
    # WeasyPrint narrates every rendering step at INFO.
    "loggers": {"weasyprint": {"level": "WARNING"}, "fontTools": {"level": "WARNING"}},
}
