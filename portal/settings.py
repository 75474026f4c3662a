"""Settings for the PEC portal: one module, read through django-environ.

With no environment at all the portal runs as a demo on one machine: SQLite in ``data/``,
kombu's filesystem broker, uploads on local disk outside any URL, e-mail to the console and
the built-in Openapi sandbox. Production values come from the environment (see .env.example);
a missing or malformed one is collected in ``CONFIG_ERRORS`` and reported by a system check
(portal/checks.py) that names the variable, so start-up stops before anything is served.
"""

import secrets
from pathlib import Path

import environ
from django.utils.translation import gettext_lazy as _

from portal import config

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()
if (BASE_DIR / ".env").is_file():
    env.read_env(BASE_DIR / ".env")

# (variable, message) pairs found while reading the environment; see portal/checks.py.
CONFIG_ERRORS: list[tuple[str, str]] = []


def _read(reader, name, default, **kwargs):
    """Read one variable; a malformed value is recorded and the default used meanwhile."""
    try:
        return reader(name, default=default, **kwargs)
    except (ValueError, TypeError, environ.ImproperlyConfigured) as exc:
        CONFIG_ERRORS.append((name, f"malformed value ({exc.__class__.__name__})"))
        return default


DEBUG = _read(env.bool, "DJANGO_DEBUG", False)
DATA_DIR = Path(_read(env.str, "DATA_DIR", str(BASE_DIR / "data")))
DATA_DIR.mkdir(parents=True, exist_ok=True)

_LOOPBACK_HOSTS = ["localhost", "127.0.0.1", "[::1]"]
ALLOWED_HOSTS = _read(env.list, "DJANGO_ALLOWED_HOSTS", _LOOPBACK_HOSTS)
# The demo: SQLite, the built-in sandbox and a server reachable from this machine only. Anything
# else (a database server, Openapi credentials, a public host) is a deployment, and then every
# production rule below applies, whatever DJANGO_DEBUG says.
DEMO_MODE = not any(
    env.str(name, default="")
    for name in ("DATABASE_URL", "OPENAPI_TOKEN", "OPENAPI_EMAIL", "OPENAPI_APIKEY")
) and set(ALLOWED_HOSTS) <= set(_LOOPBACK_HOSTS)
if DEBUG and not DEMO_MODE:
    # The debug page shows settings and local variables to whoever triggers an error.
    CONFIG_ERRORS.append(
        (
            "DJANGO_DEBUG",
            "must be false outside the local demo (a database server, Openapi credentials "
            "or a public host are configured)",
        )
    )
if not DEMO_MODE and not env.str("DJANGO_ALLOWED_HOSTS", default=""):
    CONFIG_ERRORS.append(("DJANGO_ALLOWED_HOSTS", "required outside the local demo"))


SECRET_KEY = _read(env.str, "DJANGO_SECRET_KEY", "")
if DEMO_MODE and not SECRET_KEY:
    SECRET_KEY = config.demo_secret_key(DATA_DIR / "secret-key")
elif not SECRET_KEY:
    CONFIG_ERRORS.append(("DJANGO_SECRET_KEY", "required outside the local demo"))
    SECRET_KEY = secrets.token_urlsafe(50)  # only so that the check can report the problem
elif not DEMO_MODE and len(SECRET_KEY) < 50:
    CONFIG_ERRORS.append(("DJANGO_SECRET_KEY", "must be at least 50 characters"))

CSRF_TRUSTED_ORIGINS = _read(env.list, "DJANGO_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "axes",
    "portal",
    "accounts",
    "mailboxes",
    "comunica",
    "cockpit",
    "portfolio",
    "compliance",
    "signing",
    "ledger",
]

MIDDLEWARE = [
    "portal.middleware.RequestSizeLimitMiddleware",  # first: before anything reads the body
    "portal.middleware.HealthCheckMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "portal.middleware.SessionLifetimeMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "portal.middleware.SecurityHeadersMiddleware",
    "portal.middleware.TamperedUrlMiddleware",  # 400 for URL values no database takes
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"
ASGI_APPLICATION = "portal.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "accounts.context_processors.portal",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DATABASE_URL = _read(env.str, "DATABASE_URL", "")
if not DEMO_MODE and not DATABASE_URL:
    CONFIG_ERRORS.append(("DATABASE_URL", "required outside the local demo (PostgreSQL)"))
DATABASES = {"default": config.database(env, DATABASE_URL, DATA_DIR, CONFIG_ERRORS)}
if DATABASES["default"]["ENGINE"] != config.SQLITE_ENGINE:
    DATABASES["default"]["CONN_MAX_AGE"] = _read(env.int, "DATABASE_CONN_MAX_AGE", 60)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis, cache, Celery -------------------------------------------------------------------
REDIS_URL = _read(env.str, "REDIS_URL", "")
if REDIS_URL and not REDIS_URL.startswith(("redis://", "rediss://")):
    CONFIG_ERRORS.append(("REDIS_URL", "must start with redis:// or rediss://"))
    REDIS_URL = ""
if not DEMO_MODE and not REDIS_URL:
    CONFIG_ERRORS.append(("REDIS_URL", "required outside the local demo"))

if REDIS_URL:
    # The cache gets its own Redis database (the broker's + 1, or REDIS_CACHE_URL), so that
    # clearing the cache can never drop queued tasks.
    REDIS_CACHE_URL = _read(env.str, "REDIS_CACHE_URL", config.next_redis_db(REDIS_URL))
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_CACHE_URL,
        }
    }
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 600}
else:
    # Shared between the web, worker and beat processes of `make run` (the Openapi token lives
    # here), so a per-process memory cache would not do.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(DATA_DIR / "cache"),
        }
    }
    # kombu's filesystem transport with atomic writes and stray files quarantined, not fatal
    # (portal/broker.py): the queue is files in DATA_DIR/broker, shared by web, worker and beat.
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT = "portal.broker:Transport"
    CELERY_BROKER_TRANSPORT_OPTIONS = config.file_broker_options(DATA_DIR / "broker")

CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True  # a task killed mid-way is delivered again; tasks are idempotent
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_ALWAYS_EAGER = _read(env.bool, "CELERY_TASK_ALWAYS_EAGER", False)
CELERY_BEAT_SCHEDULE_FILENAME = str(DATA_DIR / "celerybeat-schedule")
POLL_TICK_SECONDS = _read(env.float, "POLL_TICK_SECONDS", 5.0)
# Polling of the boxes in_evasione and of the comunica requests (portal/polling.py): the first
# and longest interval, the interval while Openapi calls back, from how many due objects one
# list call reads them all, how many one run takes; see .env.example.
MAILBOX_POLL_MIN_SECONDS = _read(env.float, "MAILBOX_POLL_MIN_SECONDS", 2.0)
MAILBOX_POLL_MAX_SECONDS = _read(env.float, "MAILBOX_POLL_MAX_SECONDS", 600.0)
MAILBOX_POLL_BULK_THRESHOLD = _read(env.int, "MAILBOX_POLL_BULK_THRESHOLD", 3)
MAILBOX_POLL_CLAIM_MAX = _read(env.int, "MAILBOX_POLL_CLAIM_MAX", 20000)
MAILBOX_CALLBACK_POLL_SECONDS = _read(env.float, "MAILBOX_CALLBACK_POLL_SECONDS", 300.0)
COMUNICA_POLL_MAX_SECONDS = _read(env.float, "COMUNICA_POLL_MAX_SECONDS", 1800.0)
COMUNICA_POLL_BULK_THRESHOLD = _read(env.int, "COMUNICA_POLL_BULK_THRESHOLD", 3)
COMUNICA_POLL_CLAIM_MAX = _read(env.int, "COMUNICA_POLL_CLAIM_MAX", 500)
COMUNICA_CALLBACK_POLL_SECONDS = _read(env.float, "COMUNICA_CALLBACK_POLL_SECONDS", 300.0)
# At-most-once paid calls (portal/remote_calls.py): a claim's lease, the grace after a send in
# which "no trace at Openapi" may still mean "not arrived yet", and the retry backoff.
REMOTE_CALL_LEASE = _read(env.float, "REMOTE_CALL_LEASE", 2 * 20.0 + 30)
REMOTE_CALL_SETTLE_GRACE = _read(env.float, "REMOTE_CALL_SETTLE_GRACE", 3 * 20.0 + 10)
REMOTE_CALL_BACKOFF_BASE = _read(env.float, "REMOTE_CALL_BACKOFF_BASE", 5.0)
REMOTE_CALL_BACKOFF_CAP = _read(env.float, "REMOTE_CALL_BACKOFF_CAP", 600.0)
# Periodic work. Each entry expires just under its period so a stalled worker never piles up
# copies. Tasks look up what is due in the database; the tick itself carries no state.
_every = config.every
CELERY_BEAT_SCHEDULE = {
    "mailboxes-poll-due": _every(
        "portal.poll_due", POLL_TICK_SECONDS, POLL_TICK_SECONDS * 0.9, "mailboxes"
    ),
    "comunica-poll-due": _every(
        "portal.poll_due", POLL_TICK_SECONDS, POLL_TICK_SECONDS * 0.9, "comunica"
    ),
    "run-due-calls": _every("portal.run_due_calls", 60.0, 55),
    "mailboxes-sync-account": _every("mailboxes.sync_account", 15 * 60.0, 14 * 60),
    "mailboxes-expiry-reminders": _every("mailboxes.send_expiry_reminders", 60 * 60.0, 59 * 60),
    "mailboxes-purge-documents": _every("mailboxes.purge_documents", 60 * 60.0, 59 * 60),
    "signing-purge-links": _every("signing.purge_links", 60 * 60.0, 59 * 60),
    "portal-sweep-private-files": _every("portal.sweep_private_files", 6 * 60 * 60.0, 5 * 60 * 60),
    "comunica-sync-account": _every("comunica.sync_account", 15 * 60.0, 14 * 60),
    # The compliance page's checks (nothing when COMPANY_API_ENABLED is off; the Company API's
    # answers are kept for COMPANY_API_CACHE_SECONDS, so a daily run pays only for the stale),
    # and hourly the findings from the stored checks (no Company API call).
    "compliance-refresh": _every("compliance.refresh", 24 * 60 * 60.0, 23 * 60 * 60),
    "compliance-recompute": _every("compliance.recompute", 60 * 60.0, 59 * 60),
    # A campaign's director whose new box became active gets their comunica filed (database
    # only; the filing is an at-most-once intent).
    "compliance-advance-campaigns": _every("compliance.advance_campaigns", 60.0, 55),
    # The cost ledger paired with the wallet's movements (ledger/services/reconcile.py).
    "ledger-reconcile": _every("ledger.reconcile", 60 * 60.0, 59 * 60),
}

# --- Files ----------------------------------------------------------------------------------
# Uploaded documents (ID documents are personal data): never under a public URL. They are
# served only by views that check who is asking.
PRIVATE_MEDIA_ROOT = DATA_DIR / "private"
# No public media at all: the private storage has its own location (STORAGES below) and no URL.
# MEDIA_ROOT/MEDIA_URL point at an empty folder only because Django's test server insists on
# serving *something* under MEDIA_URL.
MEDIA_ROOT = DATA_DIR / "no-public-media"
MEDIA_URL = "/no-public-media/"
AWS_STORAGE_BUCKET_NAME = _read(env.str, "AWS_STORAGE_BUCKET_NAME", "")
_default_storage = config.private_storage(
    PRIVATE_MEDIA_ROOT,
    AWS_STORAGE_BUCKET_NAME,
    access_key=_read(env.str, "AWS_ACCESS_KEY_ID", None),
    secret_key=_read(env.str, "AWS_SECRET_ACCESS_KEY", None),
    region_name=_read(env.str, "AWS_S3_REGION_NAME", None),
    endpoint_url=_read(env.str, "AWS_S3_ENDPOINT_URL", None),
)

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
# A deployment serves the files collected at build time under hashed names (collectstatic with
# STATIC_MANIFEST on); the demo needs no collectstatic: whitenoise serves the source folders
# (its STATIC_ROOT is an empty folder of its own, so that whitenoise has nothing to warn about).
_manifest_static = _read(env.bool, "STATIC_MANIFEST", not DEMO_MODE)
WHITENOISE_USE_FINDERS = not _manifest_static
if _manifest_static:
    STATIC_ROOT = BASE_DIR / "staticfiles"
else:
    STATIC_ROOT = DATA_DIR / "static"
    STATIC_ROOT.mkdir(exist_ok=True)
STORAGES = {
    "default": _default_storage,
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if _manifest_static
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
PDF_MAX_BYTES = _read(env.int, "PDF_MAX_BYTES", 10 * 1024 * 1024)
PDF_MAX_PAGES = _read(env.int, "PDF_MAX_PAGES", 50)
# Requests above the largest upload (two files and the form) are refused before parsing, by
# their Content-Length (portal.middleware.RequestSizeLimitMiddleware); the form fields alone
# have the same bound.
REQUEST_MAX_BYTES = PDF_MAX_BYTES * 3
DATA_UPLOAD_MAX_MEMORY_SIZE = REQUEST_MAX_BYTES
ID_DOCUMENT_RETENTION_DAYS = _read(env.int, "ID_DOCUMENT_RETENTION_DAYS", 30)
# ...and, whether or not the box became active, this many days after upload (kept longer only
# while Openapi may still need them: activation being sent, or the box in_evasione).
ID_DOCUMENT_MAX_AGE_DAYS = _read(env.int, "ID_DOCUMENT_MAX_AGE_DAYS", 90)
EXPIRY_REMINDER_DAYS = _read(env.list, "EXPIRY_REMINDER_DAYS", [60, 30, 7], cast=int)
# Seconds the cockpit's office-wide totals (boxes per status, renewal plan, expiry buckets) are
# kept in the shared cache: at a million boxes they read ~700,000 index entries per page
# (cockpit/selectors/common.py). Older ones are still shown while the worker counts them again,
# up to ten times as old; 0: read on every page.
COCKPIT_CACHE_SECONDS = _read(env.int, "COCKPIT_CACHE_SECONDS", 30)
# The IVA (percent) on Openapi's net prices and on the clients' statements: every paid
# confirmation (mailboxes/operations/pricing.py) and the ledger (ledger/services/markup.py).
IVA_PERCENT = _read(env.float, "IVA_PERCENT", 22.0)

# --- Openapi --------------------------------------------------------------------------------
OPENAPI_TOKEN = _read(env.str, "OPENAPI_TOKEN", "")
OPENAPI_EMAIL = _read(env.str, "OPENAPI_EMAIL", "")
OPENAPI_APIKEY = _read(env.str, "OPENAPI_APIKEY", "")
OPENAPI_TIMEOUT = _read(env.float, "OPENAPI_TIMEOUT", 20.0)
SANDBOX_URL = _read(env.str, "SANDBOX_URL", "http://127.0.0.1:8765")
if bool(OPENAPI_EMAIL) != bool(OPENAPI_APIKEY):
    CONFIG_ERRORS.append(
        (
            "OPENAPI_APIKEY" if OPENAPI_EMAIL else "OPENAPI_EMAIL",
            "OPENAPI_EMAIL and OPENAPI_APIKEY go together",
        )
    )
# Demo mode: no Openapi credentials, so the portal talks to the built-in sandbox.
OPENAPI_DEMO = not (OPENAPI_TOKEN or (OPENAPI_EMAIL and OPENAPI_APIKEY))
if OPENAPI_DEMO:
    if not DEMO_MODE and not _read(env.bool, "OPENAPI_ALLOW_DEMO", False):
        CONFIG_ERRORS.append(
            (
                "OPENAPI_TOKEN",
                "set OPENAPI_TOKEN, or OPENAPI_EMAIL and OPENAPI_APIKEY, outside the local demo",
            )
        )
    OPENAPI_PEC_URL = SANDBOX_URL
    OPENAPI_OAUTH_URL = SANDBOX_URL
    OPENAPI_TOKEN = "demo-token"  # noqa: S105 - the sandbox's fixed demo token
else:
    OPENAPI_PEC_URL = _read(env.str, "OPENAPI_PEC_URL", "https://test.pec.openapi.it")
    OPENAPI_OAUTH_URL = _read(env.str, "OPENAPI_OAUTH_URL", "https://test.oauth.openapi.com")
    for _name, _url in (
        ("OPENAPI_PEC_URL", OPENAPI_PEC_URL),
        ("OPENAPI_OAUTH_URL", OPENAPI_OAUTH_URL),
    ):
        if not _url.startswith("https://"):
            CONFIG_ERRORS.append((_name, "must be an https:// URL"))

# --- Company API and the Registro Imprese compliance page (compliance/) ---------------------
# Off by default: every lookup is paid. On, the portal checks its client companies' registered
# PEC and directors with Openapi's Company API (same credentials and wallet as the PEC API).
COMPANY_API_ENABLED = _read(env.bool, "COMPANY_API_ENABLED", False)
# An answer is not asked for again for this long (seconds): kept in Django's cache.
COMPANY_API_CACHE_SECONDS = _read(env.int, "COMPANY_API_CACHE_SECONDS", 7 * 24 * 3600)
if COMPANY_API_CACHE_SECONDS < 1:
    CONFIG_ERRORS.append(("COMPANY_API_CACHE_SECONDS", "must be at least 1"))
    COMPANY_API_CACHE_SECONDS = 7 * 24 * 3600
if OPENAPI_DEMO:
    OPENAPI_COMPANY_URL = SANDBOX_URL
else:
    OPENAPI_COMPANY_URL = _read(env.str, "OPENAPI_COMPANY_URL", "https://test.company.openapi.com")
    if not OPENAPI_COMPANY_URL.startswith("https://"):
        CONFIG_ERRORS.append(("OPENAPI_COMPANY_URL", "must be an https:// URL"))
# The office's own PEC addresses: a client company registered with one of them is irregular.
COMPLIANCE_OFFICE_PECS = [
    a.strip().lower() for a in _read(env.list, "COMPLIANCE_OFFICE_PECS", []) if a.strip()
]
# A box expiring within this many days is flagged when it is a company's registered PEC.
COMPLIANCE_EXPIRING_DAYS = _read(env.int, "COMPLIANCE_EXPIRING_DAYS", 30)
# The director's own PEC (domicilio digitale, DL 159/2025 art. 13): the sources disagree on
# dates and scope, so these are the office's settings, not hard-coded truths.
# Legal forms (the Registro Imprese's detailed codes) whose director must have a PEC: srl
# (SR, SU, RS), spa (SP), sapa (AA), cooperatives (SC), consortile companies (SL) [codes: I].
COMPLIANCE_DIRECTOR_LEGAL_FORMS = [
    c.strip().upper()
    for c in _read(
        env.list, "COMPLIANCE_DIRECTOR_LEGAL_FORMS", ["SR", "SU", "RS", "SP", "AA", "SC", "SL"]
    )
]
# The obliged director: the first role present, in this order (amministratore unico,
# amministratore delegato, presidente del CdA).
COMPLIANCE_DIRECTOR_ROLES = [
    c.strip().upper() for c in _read(env.list, "COMPLIANCE_DIRECTOR_ROLES", ["AUN", "AMD", "PCA"])
]
# Deadline for companies already registered (Unioncamere asked for 2026-03-31).


def _read_day(name: str, default: str):
    import datetime

    try:
        return datetime.date.fromisoformat(_read(env.str, name, default))
    except ValueError:
        CONFIG_ERRORS.append((name, "malformed date (expected YYYY-MM-DD)"))
        return datetime.date.fromisoformat(default)


COMPLIANCE_DIRECTOR_DEADLINE = _read_day("COMPLIANCE_DIRECTOR_DEADLINE", "2025-12-31")
# From this day the director's PEC must differ from every company PEC known (MIMIT decree of
# 4 Dec 2025); before it, only from their own company's.
COMPLIANCE_DIRECTOR_DISTINCT_FROM = _read_day("COMPLIANCE_DIRECTOR_DISTINCT_FROM", "2026-01-15")

# --- Auth, sessions, security ---------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # login throttling first
    "django.contrib.auth.backends.ModelBackend",
]
# Login throttling: 5 failures for one username from one address lock it for 15 minutes.
AXES_FAILURE_LIMIT = _read(env.int, "AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_HTTP_RESPONSE_CODE = 429
AXES_VERBOSE = False
AXES_ENABLE_ACCESS_FAILURE_LOG = False
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
# The portal holds ID documents: sessions end after 30 idle minutes and at most 8 hours.
SESSION_COOKIE_AGE = _read(env.int, "SESSION_COOKIE_AGE", 30 * 60)
SESSION_ABSOLUTE_AGE = _read(env.int, "SESSION_ABSOLUTE_AGE", 8 * 60 * 60)  # see portal.middleware
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
if not DEMO_MODE:  # the demo is plain http on this machine
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = _read(env.bool, "DJANGO_SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = _read(env.int, "DJANGO_SECURE_HSTS_SECONDS", 31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# Behind the proxy (deploy/): Django takes the scheme from the WSGI server, never from a header
# (no SECURE_PROXY_SSL_HEADER): gunicorn sets it from the proxy's X-Forwarded-Proto, and only
# for the addresses in FORWARDED_ALLOW_IPS, so a client reaching gunicorn directly cannot claim
# https. From the same addresses, and only from them, X-Forwarded-For names the client for login
# throttling (portal/proxy.py); otherwise every client would share the proxy's address.
TRUSTED_PROXIES = _read(env.list, "FORWARDED_ALLOW_IPS", [])
AXES_CLIENT_IP_CALLABLE = "portal.proxy.client_address"

# --- E-mail ---------------------------------------------------------------------------------
try:
    vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
except Exception:
    CONFIG_ERRORS.append(("EMAIL_URL", "malformed URL (expected smtp+tls://user:pass@host:587)"))
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = _read(env.str, "DEFAULT_FROM_EMAIL", "Portale PEC <pec-portal@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Languages ------------------------------------------------------------------------------
LANGUAGE_CODE = "it"
LANGUAGES = [("it", _("Italiano")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Rome"
USE_I18N = True
USE_TZ = True

PORTAL_NAME = _("Portale PEC")
# The portal's public address (https://pec.studio.example): absolute links in e-mails, and the
# URL Openapi calls back on status changes. Empty: relative links, no callbacks (polling only).
PORTAL_PUBLIC_URL = _read(env.str, "PORTAL_PUBLIC_URL", "")
# Where the links in e-mails point (portal.links): the public address; in the demo, without
# one, this machine's `make run` (PORT, 8000 by default), so that a link in a printed e-mail opens.
PORTAL_LINK_URL = PORTAL_PUBLIC_URL or (
    f"http://127.0.0.1:{_read(env.int, 'PORT', 8000)}" if DEMO_MODE else ""
)

# --- Signing links (the holder signs and uploads from a link, without an account) ---------
# The office's name in the link's e-mail and page (empty: PORTAL_NAME).
OFFICE_NAME = _read(env.str, "OFFICE_NAME", "")
# Days a link stays valid (unless revoked or used first).
SIGNING_LINK_DAYS = _read(env.int, "SIGNING_LINK_DAYS", 7)
# Days a link is kept after it was used, revoked or expired (it names a person's e-mail).
SIGNING_LINK_RETENTION_DAYS = _read(env.int, "SIGNING_LINK_RETENTION_DAYS", 30)
# Requests to the link pages per link and per client address in 10 minutes (beyond: 429).
SIGNING_LINK_RATE = _read(env.int, "SIGNING_LINK_RATE", 30)

# Error reports (debug page, e-mails to ADMINS) hide the passwords inside URL settings too.
DEFAULT_EXCEPTION_REPORTER_FILTER = "portal.error_reports.UrlCredentialsFilter"

# --- Logging: one line per event; documents and credentials are never logged ----------------
LOGGING = config.logging_config(_read(env.str, "LOG_LEVEL", "INFO"))
