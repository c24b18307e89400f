"""Coachworks settings. Every value that varies comes from `config.env`; see README, "Configuration"."""

from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

from csp.constants import NONCE, NONE, SELF
from django.utils.translation import gettext_lazy as _
from kombu import Exchange, Queue

from config.celery_routes import all_queues
from config.env import BASE_DIR, env

# --- Core -------------------------------------------------------------------------------------

DEBUG = env.bool("DEBUG", default=False)
# The default key is only good for development: with DEBUG off, `core.checks` refuses it (core.E001).
DEVELOPMENT_SECRET_KEY = "dev-only-insecure-key-change-me-in-production-0123456789"  # noqa: S105
# An empty value (docker-compose passes one when .env lacks it) counts as unset, so the check names it.
SECRET_KEY = env.str("SECRET_KEY", default="") or DEVELOPMENT_SECRET_KEY
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.sites",
    "django.contrib.postgres",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "django_countries",
    "django_htmx",
    "allauth",
    "allauth.account",
    "core",
    "community",
    "challenges",
    "blueprints",
    "submissions",
    "payments",
    "dossiers",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # A NUL or non-UTF-8 bytes in the path, query or a header: a 400 before anything reads them.
    "core.middleware.RejectInvalidTextMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Anonymous pages and public API lists from Redis, before sessions and authentication (`core.caching`).
    "core.caching.PublicCacheMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "community.middleware.MemberPreferencesMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
SITE_ID = 1

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.tz",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                # The unread-notification count in the navigation (one query per page, only when shown).
                "community.context_processors.community",
            ],
        },
    },
]
# Forms start with an announced error summary linking to the fields in error (core/form_renderer.py).
FORM_RENDERER = "core.form_renderer.FormRenderer"


# --- Database ---------------------------------------------------------------------------------

DATABASES = {
    "default": env.db_url("DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/coachworks"),
}
# DATABASE_POOL_MODE=transaction: DATABASE_URL is a PgBouncer in transaction pooling (README "Configuration"),
# so a connection holds no state between transactions: no server-side cursors (`.iterator()` fetches in
# chunks instead) and no prepared statements (Django already keeps psycopg's off; said here so that no
# OPTIONS change turns them on). tests/test_pgbouncer.py shows both break behind PgBouncer.
DATABASE_POOL_MODE = env.str("DATABASE_POOL_MODE", default="session")
# Read replicas (`core.db_router`): the public pages' reads go to DATABASE_REPLICA_URL when it is set, except
# inside a transaction, after a write in the same request, and for REPLICA_STICKY_SECONDS after a request of
# the same browser (or API token) that wrote. Its own pool mode: a replica may sit behind its own PgBouncer.
DATABASE_REPLICA_URL = env.str("DATABASE_REPLICA_URL", default="")
DATABASE_REPLICA_POOL_MODE = env.str("DATABASE_REPLICA_POOL_MODE", default=DATABASE_POOL_MODE)
REPLICA_STICKY_SECONDS = env.int("REPLICA_STICKY_SECONDS", default=5)
for _name, _mode in (
    ("DATABASE_POOL_MODE", DATABASE_POOL_MODE),
    ("DATABASE_REPLICA_POOL_MODE", DATABASE_REPLICA_POOL_MODE),
):
    if _mode not in ("session", "transaction"):  # PgBouncer's "statement" mode cannot run our transactions
        raise ValueError(f"{_name} must be 'session' or 'transaction', not {_mode!r}")
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = env.db_url_config(DATABASE_REPLICA_URL)
    # Tests point it at the test database through a connection of its own (a "mirror"), as a replica would.
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
    DATABASE_ROUTERS = ["core.db_router.ReplicaRouter"]
    # Marks which requests may read from the replica; cached anonymous responses never reach it.
    MIDDLEWARE.insert(
        MIDDLEWARE.index("core.caching.PublicCacheMiddleware") + 1, "core.middleware.ReplicaRoutingMiddleware"
    )
for _alias, _pool_mode in (("default", DATABASE_POOL_MODE), ("replica", DATABASE_REPLICA_POOL_MODE)):
    if _alias not in DATABASES:
        continue
    # Behind PgBouncer a kept connection costs PgBouncer a slot, not a server process: keep it as well.
    DATABASES[_alias]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
    DATABASES[_alias]["CONN_HEALTH_CHECKS"] = True
    if _pool_mode == "transaction":
        DATABASES[_alias]["DISABLE_SERVER_SIDE_CURSORS"] = True
        DATABASES[_alias].setdefault("OPTIONS", {})["prepare_threshold"] = None
# The user's e-mail is unique case-insensitively (a functional unique constraint), which this
# check cannot see.
SILENCED_SYSTEM_CHECKS = ["auth.W004"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"


# --- Redis: cache and Celery broker -----------------------------------------------------------

REDIS_URL = env.str("REDIS_URL", default="redis://127.0.0.1:6379/0")

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="coachworks"),
    }
}

# Sessions live in the database and are read through the cache (one Redis read per request, the database
# only on a miss): a Redis flush signs nobody out.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

# The shared cache of anonymous responses (`core.caching`, README "Caching"): how long an entry may live at
# most (writes retire entries at once; the time bounds relative times like "closes in 3 hours"); 0 turns
# it off. Which routes and which topics: `config.caching`.
PUBLIC_CACHE_SECONDS = env.int("PUBLIC_CACHE_SECONDS", default=300)
PUBLIC_CACHE_TABLE = "config.caching"


# --- Celery -----------------------------------------------------------------------------------

CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL)
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default=REDIS_URL)
# One queue prefix per deployment; tests use their own so no other worker steals their tasks. Each concern
# (payouts, phases, files, notifications, mail) has a queue `<prefix>.<concern>`; `config/celery_routes.py`
# decides which task goes where. A worker started without -Q consumes them all.
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_QUEUE", default="coachworks")
CELERY_TASK_QUEUES = [
    Queue(_name, Exchange(_name, type="direct"), routing_key=_name) for _name in all_queues(CELERY_TASK_DEFAULT_QUEUE)
]
CELERY_TASK_ROUTES = ("config.celery_routes.route_task",)
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_ENABLE_UTC = True
# A task lost with its worker is delivered again: every task must be idempotent (it re-checks the state under
# a lock and does nothing when the work is already done; docs/architecture.md, "Tasks").
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=300)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=360)
CELERY_RESULT_EXPIRES = timedelta(days=1)
# Longer than any ETA we ever arm (minutes) and than any task runs, so Redis never redelivers a waiting or
# running task (celery#4400). It is also how long a task held by a worker killed with SIGKILL waits before
# Redis hands it to another worker (the sweeps find lost phase moves and payouts in the database sooner).
CELERY_VISIBILITY_TIMEOUT = env.int("CELERY_VISIBILITY_TIMEOUT", default=3600)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": CELERY_VISIBILITY_TIMEOUT,
    # Look for such tasks every tenth of the timeout (at most every 10 s; kombu's default is every 100 s).
    "unacked_restore_interval": max(1, min(10, CELERY_VISIBILITY_TIMEOUT // 10)),
    "unacked_restore_throttle": 1,
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# django-celery-beat's database schedule, sending each tick of a periodic task once however many beats run
# (two pods during a rollout): `config.celery.OncePerTickScheduler`.
CELERY_BEAT_SCHEDULER = "config.celery:OncePerTickScheduler"
# The periodic tasks: each app declares its own next to the tasks (`beat_schedule()` in `<app>/tasks.py`, with
# the intervals from its settings below); the scheduler collects them (`config.celery.every_beat_schedule`)
# and copies them into the database, where staff can edit them in the admin.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False


# --- Storage: S3 for media, whitenoise for static --------------------------------------------

S3_ENDPOINT_URL = env.str("S3_ENDPOINT_URL", default="http://127.0.0.1:8333")
# The address browsers use for presigned URLs when it differs from the one the server uses
# (docker-compose: the server talks to http://minio:9000, the browser to http://localhost:9000).
S3_PUBLIC_ENDPOINT_URL = env.str("S3_PUBLIC_ENDPOINT_URL", default=S3_ENDPOINT_URL)
S3_ACCESS_KEY_ID = env.str("S3_ACCESS_KEY_ID", default="coachworks")
S3_SECRET_ACCESS_KEY = env.str("S3_SECRET_ACCESS_KEY", default="coachworks-secret")
S3_BUCKET = env.str("S3_BUCKET", default="coachworks-media")
S3_REGION = env.str("S3_REGION", default="us-east-1")

S3_STORAGE_OPTIONS = {
    "bucket_name": S3_BUCKET,
    "endpoint_url": S3_ENDPOINT_URL,
    "custom_domain": False,
    "access_key": S3_ACCESS_KEY_ID,
    "secret_key": S3_SECRET_ACCESS_KEY,
    "region_name": S3_REGION,
    "addressing_style": "path",
    "signature_version": "s3v4",
    "default_acl": None,
    "querystring_auth": True,
    "querystring_expire": 3600,
    # Never overwrite: keys are unique, and a clash gets a new name rather than replacing bytes.
    "file_overwrite": False,
}

STORAGES = {
    "default": {"BACKEND": "core.storage.MediaStorage", "OPTIONS": S3_STORAGE_OPTIONS},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

STATIC_URL = "/static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
# three.js for the 3D viewer comes from the npm registry (`make install` runs `npm ci`), never committed.
_THREE = BASE_DIR / "node_modules" / "three"
_THREE_PARTS = ("build", "examples/jsm/loaders", "examples/jsm/controls", "examples/jsm/utils")
STATICFILES_DIRS: list[Path | tuple[str, Path]] = [
    BASE_DIR / "static",
    *((f"vendor/three/{part}", _THREE / part) for part in (_THREE_PARTS if _THREE.is_dir() else ())),
]
WHITENOISE_USE_FINDERS = DEBUG


# --- Authentication ---------------------------------------------------------------------------

AUTH_USER_MODEL = "community.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
ACCOUNT_LOGOUT_REDIRECT_URL = "home"

ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
# Not configurable: only accounts with a confirmed primary address may sign in, by any path
# (`community.selectors.may_authenticate`); invitations and visibility bind through confirmed addresses.
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_SIGNUP_FORM_CLASS = "community.forms.SignupProfileForm"
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Coachworks] "
ACCOUNT_DEFAULT_HTTP_PROTOCOL = env.str("ACCOUNT_DEFAULT_HTTP_PROTOCOL", default="http")


# --- E-mail -----------------------------------------------------------------------------------

# Console in development; set EMAIL_URL (smtp://user:pass@host:587/?tls=True) for real SMTP.
_email = env.email_url("EMAIL_URL", default="consolemail://")
EMAIL_BACKEND = _email["EMAIL_BACKEND"]
EMAIL_HOST = _email.get("EMAIL_HOST", "")
EMAIL_PORT = _email.get("EMAIL_PORT") or 25
EMAIL_HOST_USER = _email.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = _email.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = _email.get("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = _email.get("EMAIL_USE_SSL", False)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Coachworks <noreply@coachworks.local>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# In development the console mails are also kept in DEV_MAIL_DIR and listed for staff at /dev/mails/ (core.mail).
DEV_MAIL_DIR = Path(env.str("DEV_MAIL_DIR", default=str(BASE_DIR / "var" / "mail")))
DEV_MAIL_KEEP = 500
if DEBUG and EMAIL_BACKEND == "django.core.mail.backends.console.EmailBackend":
    EMAIL_BACKEND = "core.mail.OutboxEmailBackend"


# --- Internationalisation and time ------------------------------------------------------------

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("de", _("German"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
# The zone shown to anonymous visitors; members see their own (profile).
TIME_ZONE = env.str("TIME_ZONE", default="UTC")


# --- REST API ---------------------------------------------------------------------------------

REST_FRAMEWORK = {
    # One way in per kind of client: programs send a personal token (`Authorization: Bearer`), browsers
    # use the session with CSRF. No Basic auth: a password sent per request skips e-mail confirmation,
    # lock-out and two-factor sign-in. The token class comes first so a 401 names the `Bearer` scheme.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "community.authentication.ApiTokenAuthentication",
        "community.authentication.ConfirmedSessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    # Adds the error contract (400/401/403/404/409/429) to every operation of the schema.
    "DEFAULT_SCHEMA_CLASS": "core.schema.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 25,
    "EXCEPTION_HANDLER": "core.api.exception_handler",
    # DRF's JSON parser, refusing NUL and lone surrogates in strings with a 400 (`core.parsers`).
    "DEFAULT_PARSER_CLASSES": [
        "core.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    # Throttle classes and rates: see "Sign-in protection" below.
}
# Personal API tokens: after API_TOKEN_FAILURE_LIMIT unknown, expired or revoked tokens from one client
# address within API_TOKEN_FAILURE_WINDOW_SECONDS, that address gets 429 for the rest of the window.
API_TOKEN_FAILURE_LIMIT = env.int("API_TOKEN_FAILURE_LIMIT", default=20)
API_TOKEN_FAILURE_WINDOW_SECONDS = env.int("API_TOKEN_FAILURE_WINDOW_SECONDS", default=300)
SPECTACULAR_SETTINGS = {
    "TITLE": "Coachworks API",
    "DESCRIPTION": "Commission vehicles from a worldwide community of designers.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    # No deep links: Swagger UI puts them inside each operation's expand button, a control nested in a control.
    "SWAGGER_UI_SETTINGS": {"deepLinking": False},
    "SCHEMA_PATH_PREFIX": "/api/v1",
    # Path parameters say what the URL converters accept: other values never reach a view (Django's 404).
    "PATH_CONVERTER_OVERRIDES": {
        "int": {"type": "integer", "minimum": 0},
        "slug": {"type": "string", "pattern": "^[-a-zA-Z0-9_]+$"},
    },
    # Models with a `status` or `kind`: their enums named in the schema, by the app that owns them.
    "ENUM_NAME_OVERRIDES": {
        "ChallengeStatusEnum": "challenges.models.ChallengeStatus",
        "PhaseStatusEnum": "challenges.models.PhaseStatus",
        "PhaseKindEnum": "challenges.models.PhaseKind",
        "JudgeStatusEnum": "challenges.models.JudgeStatus",
        "FileKindEnum": "blueprints.filetypes.FileKind",
        "FileStatusEnum": "blueprints.models.FileStatus",
        "PayoutStatusEnum": "payments.models.PayoutStatus",
        "BatchStatusEnum": "payments.models.BatchStatus",
        "PayoutKindEnum": "payments.models.PayoutKind",
    },
}


# --- Security ---------------------------------------------------------------------------------

# Off by default so `make run` works over plain HTTP; production turns them on (README, "Production settings";
# `make deploy-check` checks a production-like set). With DEBUG off, `core.checks` refuses the development
# SECRET_KEY and the example bank account on every command, not only under `check --deploy`.
SESSION_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)
# Load balancers and orchestrators probe over plain HTTP; a redirect would read as "down".
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env.bool("BEHIND_TLS_PROXY", default=False) else None

# Content-Security-Policy (django-csp): no inline script or style anywhere, no eval. Page behaviour lives in
# static files; the one unavoidable inline element (the 3D viewer's import map) carries the per-request nonce
# (`request.csp_nonce`). Browsers show previews and avatars from, and upload straight to, the S3 endpoint they
# are given (S3_PUBLIC_ENDPOINT_URL).
_s3_public = urlsplit(S3_PUBLIC_ENDPOINT_URL)
_S3_ORIGIN = f"{_s3_public.scheme}://{_s3_public.netloc}"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        "img-src": [SELF, "data:", "blob:", _S3_ORIGIN],
        "connect-src": [SELF, _S3_ORIGIN],
        "font-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}
INSTALLED_APPS.append("csp")
MIDDLEWARE.insert(MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1, "csp.middleware.CSPMiddleware")


# --- Sign-in protection ----------------------------------------------------------------------

# Lock-out (django-axes): after SIGN_IN_FAILURE_LIMIT wrong passwords for one address from one client
# address, that pair gets a 429 page (with Retry-After) for SIGN_IN_LOCKOUT_MINUTES after the last failure.
# Counted per pair, so a guesser cannot lock a member out from everywhere. Failures are rows in the
# database (staff see and clear them in the admin, "Access attempts"; `manage.py axes_reset` clears all).
INSTALLED_APPS += ["allauth.mfa", "axes"]
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", *AUTHENTICATION_BACKENDS]
AXES_FAILURE_LIMIT = env.int("SIGN_IN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("SIGN_IN_LOCKOUT_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_FORM_FIELD = "email"
AXES_USERNAME_CALLABLE = "core.throttling.sign_in_username"
AXES_CLIENT_IP_CALLABLE = "core.throttling.client_ip"
AXES_LOCKOUT_CALLABLE = "core.throttling.sign_in_locked_out"
AXES_HTTP_RESPONSE_CODE = 429
AXES_RESET_ON_SUCCESS = True
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "email", "login"]
# Client addresses: REMOTE_ADDR, or with TRUSTED_PROXY_COUNT reverse proxies in front the address the
# nearest one saw in X-Forwarded-For (any further left is the caller's to invent). Throttles and lock-out agree.
REST_FRAMEWORK["NUM_PROXIES"] = env.int("TRUSTED_PROXY_COUNT", default=0)


def _rate(name: str, default: str) -> str | None:
    """A rate like "60/min" from the environment; "off" (or empty) means no limit (the test run)."""
    value = env.str(name, default=default).strip()
    return None if value.lower() in ("", "off", "none") else value


# API throttles (`core.throttling`): anonymous callers per client address, members per account, and scoped
# rates for searches (member and blueprint lists, leaderboards), upload slots, comments and votes.
REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"] = [
    "core.throttling.AnonThrottle",
    "core.throttling.UserThrottle",
    "core.throttling.ScopedThrottle",
]
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] = {
    "anon": _rate("API_THROTTLE_ANON", "60/min"),
    "user": _rate("API_THROTTLE_USER", "600/min"),
    "search": _rate("API_THROTTLE_SEARCH", "30/min"),
    "uploads": _rate("API_THROTTLE_UPLOADS", "120/hour"),
    "comments": _rate("API_THROTTLE_COMMENTS", "10/min"),
    "votes": _rate("API_THROTTLE_VOTES", "30/min"),
}
# allauth's own limits, spelled out (65.22's defaults except `login_failed` per address, raised above the
# lock-out so one guessing client meets the lock-out first; across all client addresses it still pauses
# an address for 15 minutes after 4 x SIGN_IN_FAILURE_LIMIT failures). Password-reset mails: 5 a minute per
# address, 20 per client address; confirmation mails: one per 3 minutes per address. ALLAUTH_RATE_LIMITS=off
# switches them off (the test run, whose requests all come from 127.0.0.1).
SIGN_IN_RATE_LIMITS = {
    "change_password": "5/m/user",
    "change_phone": "1/m/user",
    "manage_email": "10/m/user",
    "reset_password": "20/m/ip,5/m/key",
    "reauthenticate": "10/m/user",
    "reset_password_from_key": "20/m/ip",
    "signup": "20/m/ip",
    "login": "30/m/ip",
    "request_login_code": "20/m/ip,3/m/key",
    "login_failed": f"10/m/ip,{4 * AXES_FAILURE_LIMIT}/15m/key",
    "confirm_email": "1/3m/key",
    "verify_phone": "1/30s/key,3/m/ip",
}
ACCOUNT_RATE_LIMITS = SIGN_IN_RATE_LIMITS if _rate("ALLAUTH_RATE_LIMITS", "on") else False

# Two-factor sign-in (allauth.mfa): an authenticator app (TOTP) with recovery codes, for every member
# (Profile -> Two-factor sign-in) and required for staff before the admin (`core.admin_site`).
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Coachworks"
# One period either side, for phones whose clock is a little off; every code still works only once.
MFA_TOTP_TOLERANCE = 1
MIDDLEWARE += [
    "core.admin_site.StaffTwoFactorMiddleware",
    "core.throttling.SignInLockoutMiddleware",
    "axes.middleware.AxesMiddleware",  # last as axes asks, but for the personal cache (GETs of cached routes only)
    # Signed-in pages and API lists per member, after every check above (`core.personal_cache`).
    "core.personal_cache.PersonalCacheMiddleware",
]


# --- Logging ----------------------------------------------------------------------------------

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}


# --- Community (owned by the community app) ---------------------------------------------------

# Comments: editable by their author for this many minutes, then only marked edited by nobody;
# at most COMMUNITY_COMMENT_RATE_LIMIT comments per member within COMMUNITY_COMMENT_RATE_WINDOW_SECONDS.
COMMUNITY_COMMENT_EDIT_MINUTES = env.int("COMMUNITY_COMMENT_EDIT_MINUTES", default=15)
COMMUNITY_COMMENT_RATE_LIMIT = env.int("COMMUNITY_COMMENT_RATE_LIMIT", default=5)
COMMUNITY_COMMENT_RATE_WINDOW_SECONDS = env.int("COMMUNITY_COMMENT_RATE_WINDOW_SECONDS", default=60)
# Daily digests go out at this hour (UTC); unsubscribe links in e-mails stay valid this many days.
COMMUNITY_DIGEST_HOUR_UTC = env.int("COMMUNITY_DIGEST_HOUR_UTC", default=7)
COMMUNITY_UNSUBSCRIBE_MAX_AGE_DAYS = env.int("COMMUNITY_UNSUBSCRIBE_MAX_AGE_DAYS", default=90)
# "Closes in 24 hours" notices: how far ahead, and how often beat looks for such phases.
COMMUNITY_CLOSING_SOON_HOURS = env.int("COMMUNITY_CLOSING_SOON_HOURS", default=24)
COMMUNITY_CLOSING_SWEEP_MINUTES = env.int("COMMUNITY_CLOSING_SWEEP_MINUTES", default=15)


# --- Challenges (owned by the challenges app) ------------------------------------------------

# Phases move within seconds of their deadlines: beat sweeps every CHALLENGES_SWEEP_SECONDS (making any
# due move) and arms a short ETA task for each move due within CHALLENGES_ARM_AHEAD_SECONDS. Arm-ahead
# must exceed the sweep interval and stay far below the broker's visibility timeout (celery#4400).
CHALLENGES_SWEEP_SECONDS = env.int("CHALLENGES_SWEEP_SECONDS", default=30)
CHALLENGES_ARM_AHEAD_SECONDS = env.int("CHALLENGES_ARM_AHEAD_SECONDS", default=120)


# --- Blueprints (owned by the blueprints app) -------------------------------------------------

# Files go straight from browsers to S3 (presigned POST up to the multipart threshold, presigned
# multipart part URLs above it); the web process never carries their bytes.
BLUEPRINT_UPLOAD_MAX_BYTES = env.int("BLUEPRINT_UPLOAD_MAX_BYTES", default=5 * 1024**3)
BLUEPRINT_MULTIPART_THRESHOLD = env.int("BLUEPRINT_MULTIPART_THRESHOLD", default=64 * 1024**2)
# S3 wants parts of at least 5 MiB (but the last) and at most 10,000 parts; bigger files get bigger parts.
BLUEPRINT_MULTIPART_PART_SIZE = env.int("BLUEPRINT_MULTIPART_PART_SIZE", default=32 * 1024**2)
# How long presigned upload URLs stay valid; a resumed upload asks for fresh ones.
BLUEPRINT_UPLOAD_URL_EXPIRES = env.int("BLUEPRINT_UPLOAD_URL_EXPIRES", default=6 * 3600)
BLUEPRINT_DOWNLOAD_URL_EXPIRES = env.int("BLUEPRINT_DOWNLOAD_URL_EXPIRES", default=300)
# Uploads not completed within this many hours are swept, S3 objects and multipart uploads included.
BLUEPRINT_STALE_UPLOAD_HOURS = env.int("BLUEPRINT_STALE_UPLOAD_HOURS", default=24)
# Images with more pixels are refused as decompression bombs; larger files are kept without a preview.
BLUEPRINT_IMAGE_MAX_PIXELS = env.int("BLUEPRINT_IMAGE_MAX_PIXELS", default=80_000_000)
# A preview decodes the whole bitmap (up to 4 bytes a pixel; JPEGs decode at 1/8 scale or more): an
# image that would decode to more pixels is accepted without a preview, bounding a worker's memory.
BLUEPRINT_PREVIEW_MAX_PIXELS = env.int("BLUEPRINT_PREVIEW_MAX_PIXELS", default=20_000_000)
# Rendering needs memory in proportion to the model (512 MiB of binary STL is ~10 million triangles).
BLUEPRINT_PREVIEW_MAX_BYTES = env.int("BLUEPRINT_PREVIEW_MAX_BYTES", default=512 * 1024**2)
# Origins allowed to upload to the bucket from browsers (`blueprints.storage.upload_cors_ensure`).
BLUEPRINT_UPLOAD_CORS_ORIGINS = env.list("BLUEPRINT_UPLOAD_CORS_ORIGINS", default=[SITE_URL, *CSRF_TRUSTED_ORIGINS])

# Dossiers: a version is recorded right after each award and the completion; this sweep records one whose
# announcement was lost (a worker killed between the commit and the receiver).
DOSSIERS_SWEEP_MINUTES = env.int("DOSSIERS_SWEEP_MINUTES", default=10)
# Beat sweeps stale uploads this often.
BLUEPRINT_SWEEP_MINUTES = env.int("BLUEPRINT_SWEEP_MINUTES", default=30)


# --- Submissions (owned by the submissions app) -----------------------------------------------

# None from the environment: the judging rules (lineage share and generations, who awards, the
# community-vote share) are per challenge and phase, in the database.


# --- Payments (owned by the payments app) -----------------------------------------------------

# Each payout goes through the provider of the member's payout method, fixed when it is first claimed
# (`payments.providers.register_provider`: an app registers its providers in ready()). PAYMENTS_PAYOUT_PROVIDER
# names the provider a member's bank account (IBAN) pays through; PAYMENTS_PAYOUT_PROVIDERS maps the names
# loaded from settings to their classes ("manual": SEPA files staff send to the bank), extra ones (a test
# bank) from PAYMENTS_EXTRA_PROVIDERS ("name=dotted.Path,...").
PAYMENTS_PAYOUT_PROVIDER = env.str("PAYMENTS_PAYOUT_PROVIDER", default="manual")
PAYMENTS_PAYOUT_PROVIDERS = {
    "manual": "payments.providers.manual.ManualProvider",
    **env.dict("PAYMENTS_EXTRA_PROVIDERS", default={}),
}
# The platform's bank account: clients transfer budgets to it; SEPA payout files are paid from it.
PAYMENTS_BANK_NAME = env.str("PAYMENTS_BANK_NAME", default="Coachworks Escrow")
# Empty counts as unset (the example account, which `core.checks` refuses with DEBUG off).
PAYMENTS_BANK_IBAN = env.str("PAYMENTS_BANK_IBAN", default="") or "DE89370400440532013000"
PAYMENTS_BANK_BIC = env.str("PAYMENTS_BANK_BIC", default="") or "COBADEFFXXX"
# A new or changed payout method pays nothing for this long (an account takeover cannot redirect money).
PAYMENTS_METHOD_CHANGE_HOLD_HOURS = env.int("PAYMENTS_METHOD_CHANGE_HOLD_HOURS", default=24)
# Failed provider calls are retried with exponential backoff (base * 2^(n-1), at most an hour), then recorded as failed.
PAYMENTS_PAYOUT_MAX_ATTEMPTS = env.int("PAYMENTS_PAYOUT_MAX_ATTEMPTS", default=5)
PAYMENTS_RETRY_BASE_SECONDS = env.int("PAYMENTS_RETRY_BASE_SECONDS", default=30)
# A payout claimed by a worker longer ago than this is taken to be lost (worker killed) and executed again.
PAYMENTS_STALE_CLAIM_SECONDS = env.int("PAYMENTS_STALE_CLAIM_SECONDS", default=600)
# The sweep (the database is the source of truth for pending payouts) and the reconciliation run by beat.
PAYMENTS_SWEEP_SECONDS = env.int("PAYMENTS_SWEEP_SECONDS", default=30)
PAYMENTS_RECONCILE_MINUTES = env.int("PAYMENTS_RECONCILE_MINUTES", default=60)
