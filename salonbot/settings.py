"""Settings for salonbot, read from the environment (a `.env` file may supply it).

With no `DATABASE_URL` / `REDIS_URL` the product runs on an embedded default: SQLite, an
in-process cache and a filesystem Celery broker, so it starts on a laptop with only Python.
"""

import ipaddress
import re
from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(environ.Env().str("SALONBOT_VAR_DIR", default=str(BASE_DIR / "var")))

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=True)
_DEV_SECRET = "dev-insecure-secret-key-change-me-0123456789-abcdefghijklmnopqrstuvwxyz"
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = _DEV_SECRET
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["*"] if DEBUG else [])

# .env.example marks every value an operator must choose with this; copied as it is, it is refused
# here rather than run with a secret the whole world knows.
PLACEHOLDER = "change-me"
SECRET_VARIABLES = (
    "SECRET_KEY",
    "DATABASE_URL",
    "DATABASE_REPLICA_URL",
    "REDIS_URL",
    "POSTGRES_PASSWORD",
    "POSTGRES_APP_PASSWORD",
    "POSTGRES_REPLICATION_PASSWORD",
    "METRICS_TOKEN",
    "WHATSAPP_ACCESS_TOKEN",
    "WHATSAPP_APP_SECRET",
    "WHATSAPP_VERIFY_TOKEN",
)
_placeholders = [name for name in SECRET_VARIABLES if PLACEHOLDER in env.str(name, default="")]
if _placeholders:
    raise ImproperlyConfigured(
        f"{', '.join(_placeholders)} still hold the .env.example placeholder {PLACEHOLDER!r}: set real values."
    )

INSTALLED_APPS = [
    "salonbot.admin_site.SalonbotAdminConfig",  # django.contrib.admin with our site class
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "corsheaders",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_ratelimit",  # only for its system checks on the counter cache
    "django_fsm",
    "salonbot.apps.SalonbotConfig",
    "accounts",
    "salons",
    "bookings",
    "messaging",
    "analytics",
]

MIDDLEWARE = [
    "salonbot.observability.RequestContextMiddleware",  # first: request id, log line, latency
    "salonbot.health.HealthCheckMiddleware",  # probes and /metrics skip host checks and HTTPS redirects
    "salonbot.outages.OutageMiddleware",  # a GET that met a database outage runs once more, from scratch
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",  # static files (admin, /api/docs) under gunicorn
    "csp.middleware.CSPMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    # Above the JSON error middleware, so its replacement answers get the header too.
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "salonbot.api.middleware.ApiJsonErrorsMiddleware",  # inside CORS: a browser can read the errors
    "messaging.middleware.WebhookReceiptMiddleware",  # Meta's POSTs skip the rest (HMAC-authenticated)
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "salonbot.scope.TenantScopeMiddleware",  # row-level security follows request.user
    "salonbot.db.router.ReplicaMiddleware",  # a request that wrote reads from the primary
    "salons.admin_scope.AdminSalonMiddleware",  # admin pages in the salon's time zone
    "django.contrib.messages.middleware.MessageMiddleware",
]

ROOT_URLCONF = "salonbot.urls"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates", BASE_DIR / "salonbot" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]
WSGI_APPLICATION = "salonbot.wsgi.application"

# --- Database -------------------------------------------------------------------------------
# PostgreSQL when DATABASE_URL says so; otherwise SQLite, whose IMMEDIATE transactions
# serialise writers so that the overlap check of a booking cannot race.
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'salonbot.sqlite3'}")}
_db = DATABASES["default"]
IS_POSTGRES = "postgresql" in _db["ENGINE"]
# Connections: persistent per thread (DB_CONN_MAX_AGE), or psycopg's pool per process when
# DB_POOL_MAX_SIZE is set: at most that many connections per gunicorn worker, whatever its threads
# and however many clients wait (README, "Connections"). Not PgBouncer in transaction mode: the
# tenant scope is a session setting, and a transaction pooler would hand it to another client.
DB_POOL_MAX_SIZE = env.int("DB_POOL_MAX_SIZE", default=0)


def _postgres(alias_db: dict, *, connect_timeout: int, pool_timeout: float | None = None) -> None:
    alias_db["ENGINE"] = "salonbot.db"  # Django's backend + the tenant scope for row-level security
    alias_db["CONN_HEALTH_CHECKS"] = True
    options = alias_db.setdefault("OPTIONS", {})
    options.setdefault("connect_timeout", connect_timeout)
    if DB_POOL_MAX_SIZE:
        alias_db["CONN_MAX_AGE"] = 0  # the pool keeps them; Django returns one after each request
        options["pool"] = {
            "min_size": min(env.int("DB_POOL_MIN_SIZE", default=1), DB_POOL_MAX_SIZE),
            "max_size": DB_POOL_MAX_SIZE,
            # A request that waits longer for a connection fails (503) rather than queue forever.
            "timeout": pool_timeout or env.float("DB_POOL_TIMEOUT", default=10.0),
            "max_idle": 300,
        }
    else:
        alias_db["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=60)


if IS_POSTGRES:
    _postgres(_db, connect_timeout=5)
else:
    _db.setdefault("OPTIONS", {}).update({"transaction_mode": "IMMEDIATE", "timeout": 20})
    _db.setdefault("TEST", {})["NAME"] = str(VAR_DIR / "test.sqlite3")

# A streaming replica for read-only selectors (salonbot/db/router.py); without it nothing changes.
DATABASE_REPLICA_URL = env.str("DATABASE_REPLICA_URL", default="")
if DATABASE_REPLICA_URL:
    if not IS_POSTGRES:
        raise ImproperlyConfigured("DATABASE_REPLICA_URL needs a PostgreSQL DATABASE_URL.")
    DATABASES["replica"] = env.db_url_config(DATABASE_REPLICA_URL)
    # Short: a replica that does not answer costs a read this long once, then the breaker skips it.
    _replica_timeout = env.int("DATABASE_REPLICA_CONNECT_TIMEOUT", default=2)
    # The pool's wait too: a pool waits that long for a connection to a replica that is down.
    _postgres(DATABASES["replica"], connect_timeout=_replica_timeout, pool_timeout=_replica_timeout)
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
    DATABASE_ROUTERS = ["salonbot.db.router.ReplicaRouter"]
# Seconds a user's reads stay on the primary after a request of theirs wrote (replica lag).
DATABASE_REPLICA_PIN_SECONDS = env.float("DATABASE_REPLICA_PIN_SECONDS", default=5.0)
# Seconds the replica is skipped after it failed (down, refusing, too far behind).
DATABASE_REPLICA_RETRY_SECONDS = env.float("DATABASE_REPLICA_RETRY_SECONDS", default=10.0)
# The role the app connects as (owns no table, no BYPASSRLS); `migrate`, run as the tables' owner,
# grants it row privileges (salonbot/db/rls.py). Empty: no grants (one role does everything).
DATABASE_APP_ROLE = env.str("DATABASE_APP_ROLE", default="")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache and Redis ------------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
_REDIS_OPTIONS = {
    "SOCKET_CONNECT_TIMEOUT": 0.5,
    "SOCKET_TIMEOUT": 0.5,
    # A data cache that is down must cost a cache miss, not a 500.
    "IGNORE_EXCEPTIONS": True,
}
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="salonbot"),
            "OPTIONS": _REDIS_OPTIONS,
        },
        # Rate-limit counters: errors surface here so the limiter can fail open and log.
        "ratelimit": {
            "BACKEND": "salonbot.api.ratelimit_cache.RateLimitRedisCache",  # django-redis, one RTT fewer
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="salonbot") + ":rl",
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.5, "SOCKET_TIMEOUT": 0.5},
        },
    }
    DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
    # W001 compares the backend's dotted path with django-redis's by name; ours subclasses it.
    # E003 (a cache that cannot count across processes) stays on.
    SILENCED_SYSTEM_CHECKS = ["django_ratelimit.W001"]
else:
    # The embedded default: one cache in the database every process opens (web, worker, beat,
    # `manage.py chat`), so invalidations and rate-limit counters are shared as with Redis.
    # `migrate` creates its table (salonbot/apps.py).
    CACHES = {
        "default": {
            "BACKEND": "salonbot.dbcache.SharedDatabaseCache",
            "LOCATION": "salonbot_cache",
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="salonbot"),
        },
        "ratelimit": {  # its own table: clearing the data cache must not reset the limits
            "BACKEND": "salonbot.dbcache.SharedDatabaseCache",
            "LOCATION": "salonbot_ratelimit",
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="salonbot") + ":rl",
        },
    }
    # E003 calls Django's database cache non-atomic; ours increments under a row lock (dbcache.py).
    SILENCED_SYSTEM_CHECKS = ["django_ratelimit.E003", "django_ratelimit.W001"]
RATELIMIT_USE_CACHE = "ratelimit"
# A counter lost between SET NX and INCR is not a reason to refuse a request.
RATELIMIT_FAIL_OPEN = True
# Off only for measuring the limiter's cost (benchmarks/bench_ratelimit.sh).
RATELIMIT_ENABLE = env.bool("RATELIMIT_ENABLE", default=True)
RATELIMIT_IP_META_KEY = "salonbot.api.throttling.client_ip"

# --- Auth -----------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
if env.bool("FAST_PASSWORD_HASHER", default=False):
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework_simplejwt.authentication.JWTAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": [
        "salonbot.api.filters.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "salonbot.api.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_SCHEMA_CLASS": "salonbot.api.schema.AutoSchema",
    "EXCEPTION_HANDLER": "salonbot.api.exceptions.exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["salonbot.api.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["salonbot.api.parsers.JSONParser"],
    # Checked after JWT authentication, so the limit keys on the user; see salonbot/api/throttling.py.
    "DEFAULT_THROTTLE_CLASSES": [
        "salonbot.api.throttling.ApiRateThrottle",
        "salonbot.api.throttling.AuthRateThrottle",
    ],
    "DATETIME_FORMAT": "%Y-%m-%dT%H:%M:%SZ",
    "COERCE_DECIMAL_TO_STRING": True,
    "UNAUTHENTICATED_USER": None,
}
if DEBUG:
    REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"].append("rest_framework.renderers.BrowsableAPIRenderer")

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env.int("JWT_ACCESS_MINUTES", default=15)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env.int("JWT_REFRESH_DAYS", default=7)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": True,
    "USER_ID_FIELD": "id",
    "AUTH_HEADER_TYPES": ("Bearer",),
}

SPECTACULAR_SETTINGS = {
    "TITLE": "salonbot API",
    "DESCRIPTION": "Multi-tenant salon booking over WhatsApp: the REST contract of API.md.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    # The default validator badge is an image from a third-party host, which the CSP refuses.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/",
    "PREPROCESSING_HOOKS": ["salonbot.api.schema.drop_optional_trailing_slash"],
}

API_RATE_LIMIT = env.str("API_RATE_LIMIT", default="100/m")
AUTH_RATE_LIMIT = env.str("AUTH_RATE_LIMIT", default="10/m")
for _name, _rate in (("API_RATE_LIMIT", API_RATE_LIMIT), ("AUTH_RATE_LIMIT", AUTH_RATE_LIMIT)):
    # A typo would otherwise surface as a 500 on every request, not at startup.
    if not re.fullmatch(r"[1-9]\d*/\d*[smhd]", _rate):
        raise ImproperlyConfigured(f"{_name} must look like 100/m (count/period, period s, m, h or d): {_rate!r}")
# Behind a proxy the client address comes from this header, set by the proxy, never the client.
CLIENT_IP_HEADER = env.str("CLIENT_IP_HEADER", default="")

# --- Gateway: CORS, security headers --------------------------------------------------------
CORS_ALLOWED_ORIGINS = env.list("CORS_ALLOWED_ORIGINS", default=[])
CORS_URLS_REGEX = r"^/api/.*$"
CORS_EXPOSE_HEADERS = ["Retry-After"]  # so a browser client can back off after a 429
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
if not DEBUG:
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

from csp.constants import NONE, SELF  # noqa: E402

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        # Checked in headless Chromium: the admin and Swagger UI need no inline style or script once
        # the docs page's <style> is a file (salonbot/templates/salonbot/swagger_ui.html) and its
        # init script is loaded from ?script (SpectacularSwaggerSplitView).
        "style-src": [SELF],
        "img-src": [SELF, "data:"],  # swagger-ui.css draws its icons as data: SVGs
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=1024 * 1024)

# --- i18n, static ---------------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("ru", "Русский")]
LOCALE_PATHS = [BASE_DIR / "locale"]
FORMAT_MODULE_PATH = ["salonbot.formats"]  # 24-hour English formats for the admin
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
# WhiteNoise serves STATIC_ROOT (after `collectstatic`) in production, and the app directories
# directly when DEBUG is on; no CDN and no separate web server are needed for the admin and docs.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# --- Celery ---------------------------------------------------------------------------------
# Without Redis the broker is kombu's filesystem transport: the worker and beat still run as
# processes and no server is needed (see README, "Background work").
# "localhost": the filesystem transport ignores the host, but kombu warns at every start without one.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL or "filesystem://localhost//")
CELERY_BROKER_FOLDER = VAR_DIR / "broker"
if CELERY_BROKER_URL.startswith("filesystem://"):
    CELERY_BROKER_FOLDER.mkdir(parents=True, exist_ok=True)  # kombu does not create it
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_BROKER_FOLDER),
        "data_folder_out": str(CELERY_BROKER_FOLDER),
        "processed_folder": str(VAR_DIR / "broker-processed"),
        "store_processed": False,
        "control_folder": str(VAR_DIR / "broker-control"),  # kombu's default is ./control, in the work tree
    }
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = 60
CELERY_TASK_TIME_LIMIT = 90
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A worker whose broker went away reconnects for as long as it takes (Celery's default gives up
# after 100 tries, about 50 minutes, and the worker exits).
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
# ...and survives losing it with a task unacknowledged (salonbot/celery_consumer.py).
CELERY_WORKER_CONSUMER = "salonbot.celery_consumer:Consumer"
CELERY_BEAT_SCHEDULE: dict = {}
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

# --- WhatsApp -------------------------------------------------------------------------------
WHATSAPP_BACKEND = env.str("WHATSAPP_BACKEND", default="console")
WHATSAPP_API_BASE_URL = env.str("WHATSAPP_API_BASE_URL", default="https://graph.facebook.com/v21.0")
WHATSAPP_ACCESS_TOKEN = env.str("WHATSAPP_ACCESS_TOKEN", default="")
WHATSAPP_APP_SECRET = env.str("WHATSAPP_APP_SECRET", default="")
WHATSAPP_VERIFY_TOKEN = env.str("WHATSAPP_VERIFY_TOKEN", default="")
WHATSAPP_HTTP_TIMEOUT = env.float("WHATSAPP_HTTP_TIMEOUT", default=10.0)
# The platform's WhatsApp Business Account: an owner's number claim must be one of its numbers.
WHATSAPP_BUSINESS_ACCOUNT_ID = env.str("WHATSAPP_BUSINESS_ACCOUNT_ID", default="")

DASHBOARD_CACHE_SECONDS = env.int("DASHBOARD_CACHE_SECONDS", default=900)

# --- Observability --------------------------------------------------------------------------
# /metrics for a bearer of this token, or for these peer addresses (CIDRs); for nobody by default.
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
METRICS_ALLOWED_NETWORKS = [ipaddress.ip_network(n, strict=False) for n in env.list("METRICS_ALLOWED_IPS", default=[])]
# Port of the Celery worker's own /metrics (its prefork children added up); unset: none.
CELERY_METRICS_PORT = env.int("CELERY_METRICS_PORT", default=0)
LOG_FORMAT = env.str("LOG_FORMAT", default="plain")
if LOG_FORMAT not in ("plain", "json"):
    raise ImproperlyConfigured(f"LOG_FORMAT must be plain or json, not {LOG_FORMAT!r}")
# One line per request (id, user, salon, path, status, duration): always in JSON, where it replaces
# gunicorn's access log; in plain text only when asked (runserver prints its own).
LOG_REQUESTS = env.bool("LOG_REQUESTS", default=LOG_FORMAT == "json")
# With JSON logs a Celery worker keeps Django's LOGGING (one JSON object a line), not its own format.
CELERY_WORKER_HIJACK_ROOT_LOGGER = LOG_FORMAT != "json"
BOT_INTERPRETER = env.str("BOT_INTERPRETER", default="messaging.bot.interpreter.RuleBasedInterpreter")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
        "json": {"()": "salonbot.observability.JsonFormatter"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # psycopg's pool logs every reconnection attempt (four a second during an outage) and every
    # checkout at INFO; salonbot/outages.py logs an outage once when it starts and once when it ends.
    "loggers": {"psycopg.pool": {"level": "ERROR"}},
}

VAR_DIR.mkdir(parents=True, exist_ok=True)
STATIC_ROOT.mkdir(exist_ok=True)  # WhiteNoise warns at startup when it is missing (before collectstatic)

# --- Messaging ------------------------------------------------------------------------------
# Every minute: re-enqueue webhook events and outbound messages whose task was lost (broker down
# at commit time, worker killed mid-send), and purge early statuses that never found a message.
CELERY_BEAT_SCHEDULE["messaging-sweep"] = {
    "task": "messaging.sweep",
    "schedule": env.float("MESSAGING_SWEEP_SECONDS", default=60.0),
}
# A reminder whose send was cut off mid-request (worker killed) is never sent again: we wait this
# long for WhatsApp's status, which echoes our callback data, then call its outcome UNKNOWN. Longer
# than CELERY_TASK_TIME_LIMIT, so that a send still under way is never judged.
REMINDER_OUTCOME_WINDOW_SECONDS = env.int("REMINDER_OUTCOME_WINDOW_SECONDS", default=300)

# --- Reminders and housekeeping -------------------------------------------------------------
CELERY_BEAT_SCHEDULE["dispatch-due-reminders"] = {
    "task": "messaging.dispatch_due_reminders",
    "schedule": env.float("REMINDER_DISPATCH_SECONDS", default=60.0),
}
CELERY_BEAT_SCHEDULE["flush-expired-tokens"] = {"task": "accounts.flush_expired_tokens", "schedule": 24 * 3600.0}
CELERY_BEAT_SCHEDULE["expire-waitlist"] = {"task": "bookings.expire_waitlist", "schedule": 3600.0}
CELERY_BEAT_SCHEDULE["purge-expired-holds"] = {"task": "bookings.purge_expired_holds", "schedule": 3600.0}
