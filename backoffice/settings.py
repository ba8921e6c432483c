"""Switchboard settings, read from the environment (see .env.example for every variable).

Development (``DEBUG=1``) gets working defaults for everything; anything else is production and
must be given its secrets. ``python manage.py check --deploy`` is clean with production values.
"""

from __future__ import annotations

import base64
import hashlib
from datetime import timedelta
from pathlib import Path

import environ
import phonenumbers
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
# A local .env file is read when present; real environment variables win over it.
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)

# Development gets a fixed, obviously non-secret key; production must provide its own.
_DEV_SECRET_KEY = "dev-only-insecure-switchboard-key-never-use-in-production"  # noqa: S105
SECRET_KEY = env.str("SECRET_KEY", default=_DEV_SECRET_KEY if DEBUG else "")
if not SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
TIME_ZONE = env.str("TIME_ZONE", default="Europe/Warsaw")
USE_TZ = True
USE_I18N = True
LANGUAGE_CODE = "en-us"

INSTALLED_APPS = [
    "backoffice",  # first, so its admin templates override django.contrib.admin's
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",  # "about 1.2 million": the audit lists' estimated counts
    "django_q",
    "axes",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "backoffice.security.ContentSecurityPolicyMiddleware",
    # Last, as django-axes asks: it turns a refused login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

if not DEBUG:
    # Serves the collected static files under gunicorn (compressed, cached for good when hashed);
    # in development runserver serves them from the finders.
    MIDDLEWARE.insert(1, "whitenoise.middleware.WhiteNoiseMiddleware")

ROOT_URLCONF = "backoffice.urls"
WSGI_APPLICATION = "backoffice.wsgi.application"
AUTH_USER_MODEL = "backoffice.User"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

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
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------------------------
# Default: one SQLite file, tuned so the web server and qcluster workers can share it:
# WAL lets readers proceed during a write, IMMEDIATE transactions take the write lock up front
# (no "database is locked" upgrade deadlocks), and a busy timeout waits instead of failing.
VAR_DIR.mkdir(exist_ok=True)
# An empty DATABASE_URL counts as unset.
DATABASE_URL = env.str("DATABASE_URL", default="") or f"sqlite:///{VAR_DIR / 'db.sqlite3'}"
DATABASES = {"default": env.db_url_config(DATABASE_URL)}
_db = DATABASES["default"]
if _db["ENGINE"] == "django.db.backends.sqlite3":
    _db.setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
    _db.setdefault("TEST", {})["NAME"] = str(VAR_DIR / "test.sqlite3")
else:
    _db.setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    _db.setdefault("CONN_HEALTH_CHECKS", True)

# --- Background tasks (django-q2) ---------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
Q_WORKERS = env.int("Q_WORKERS", default=2)
Q_TIMEOUT = 90
Q_CLUSTER: dict[str, object] = {
    # The queue's name (and its messages' signing salt): clusters that share a broker but serve
    # different deployments set Q_CLUSTER_NAME apart. Read here, since django-q2's own reading of
    # it fails for a name other than this one (it then expects an ALT_CLUSTERS setting).
    "name": env.str("Q_CLUSTER_NAME", default="switchboard"),
    "workers": Q_WORKERS,
    # A task is one vendor call (the connectors' read timeout is 30 s) plus a little database work:
    # 90 s is a generous ceiling, and `retry` sits above it so a task that is still running is
    # not handed to a second worker. A task whose worker died is taken over sooner than that:
    # its operation's lease lapses and the due-time dispatcher hands it to another run.
    "timeout": Q_TIMEOUT,
    "retry": Q_TIMEOUT + 30,
    # Workers pull at most about one task each ahead of time: the queue stays in the broker,
    # where the sweeper can count it, not in the memory of a worker that may die.
    "queue_limit": Q_WORKERS,
    # Retries of vendor calls are scheduled by the operation itself (backoff, Retry-After);
    # django-q2's own redelivery is only for crashed workers, so keep it bounded.
    "max_attempts": 3,
    # A failed task is a recorded outcome, not a message to drop silently.
    "ack_failures": False,
    # Schedules missed while the cluster was down run once, not once per missed slot.
    "catch_up": False,
    # Successful results are not saved: the operation rows are the record of what happened, and
    # django-q2's pruning of saved results locks and reads them all for every task, which made
    # its monitor the pipeline's bottleneck. Failures (a task that raised) are still saved.
    "save_limit": env.int("Q_SAVE_LIMIT", default=-1),
    "label": "Background tasks",
    # Tests run tasks in-process (tests/settings.py turns this on).
    "sync": env.bool("Q_SYNC", default=False),
}
if REDIS_URL:
    # Many worker machines: the Redis broker. It has no receipts; the sweeper covers lost tasks.
    Q_CLUSTER["redis"] = REDIS_URL
else:
    # The ORM broker on the default database: a message is a row of the transaction that hands
    # its operation over, visible to the workers when that transaction commits.
    Q_CLUSTER["orm"] = "default"
    Q_CLUSTER["poll"] = 0.2

# --- The operations pipeline (backoffice/operations) ---------------------------------------------
# A run owns its operation this long; django-q2 kills a task at `timeout`, so a lapsed lease means
# the worker is gone and the next delivery (or the sweeper) takes the operation over.
OPERATION_LEASE_SECONDS = env.int("OPERATION_LEASE_SECONDS", default=Q_TIMEOUT + 30)
# Retries of 429 / 5xx / connection failures: exponential from the base, capped, with jitter.
OPERATION_RETRY_BASE_SECONDS = env.float("OPERATION_RETRY_BASE_SECONDS", default=30.0)
OPERATION_RETRY_MAX_SECONDS = env.float("OPERATION_RETRY_MAX_SECONDS", default=3600.0)
# A worker waits at most this long for a rate-limit token; further off, the operation is deferred.
RATE_LIMIT_MAX_WAIT_SECONDS = env.float("RATE_LIMIT_MAX_WAIT_SECONDS", default=5.0)
# The due-time dispatcher in every `qcluster` (backoffice.operations.dispatcher) hands over what is
# due this often; every SWEEP_INTERVAL_SECONDS its pass is the sweeper's, which also re-sends
# queued operations handed to the broker more than SWEEP_LOST_AFTER_SECONDS ago whose messages
# the broker no longer holds. SWEEP_BATCH_LIMIT bounds what one pass hands over per kind.
DISPATCH_INTERVAL_SECONDS = env.float("DISPATCH_INTERVAL_SECONDS", default=0.5)
SWEEP_INTERVAL_SECONDS = env.float("SWEEP_INTERVAL_SECONDS", default=15.0)
SWEEP_BATCH_LIMIT = env.int("SWEEP_BATCH_LIMIT", default=5000)
SWEEP_LOST_AFTER_SECONDS = env.int("SWEEP_LOST_AFTER_SECONDS", default=30)
# `qcluster` stops within this many seconds of a SIGTERM or SIGINT: the tasks under way finish,
# or are released to another cluster a few seconds before the end.
QCLUSTER_STOP_SECONDS = env.float("QCLUSTER_STOP_SECONDS", default=8.0)
# A sync works in slices of about this many seconds (then commits and re-queues itself), well
# under the task timeout, so a large account never holds one worker for long.
SYNC_SLICE_SECONDS = env.float("SYNC_SLICE_SECONDS", default=30.0)
# Read timeout of one vendor request (the connect timeout is at most 10 s).
VENDOR_TIMEOUT_SECONDS = env.float("VENDOR_TIMEOUT_SECONDS", default=30.0)
# Thulium publishes no attachment limit; a reply's files are refused above this size each.
THULIUM_ATTACHMENT_MAX_BYTES = env.int("THULIUM_ATTACHMENT_MAX_BYTES", default=10 * 1024 * 1024)

# --- One person across vendors --------------------------------------------------------------------
# Phone numbers written without a country code ("601 234 567") are read as numbers of this region
# (ISO 3166 code) when contacts are matched to persons.
PHONE_DEFAULT_REGION = env.str("PHONE_DEFAULT_REGION", default="PL").upper()
if PHONE_DEFAULT_REGION not in phonenumbers.SUPPORTED_REGIONS:
    raise ImproperlyConfigured(
        f"PHONE_DEFAULT_REGION={PHONE_DEFAULT_REGION!r} is not a region with phone numbers;"
        " give a two-letter country code such as PL, UA or ES."
    )

# --- The audit trail ------------------------------------------------------------------------------
# `manage.py prune_audit` deletes API calls and finished operations older than this many days;
# nothing else ever deletes audit rows.
AUDIT_RETENTION_DAYS = env.int("AUDIT_RETENTION_DAYS", default=365)
if AUDIT_RETENTION_DAYS < 1:
    raise ImproperlyConfigured("AUDIT_RETENTION_DAYS must be at least 1 (days).")

# --- Secrets at rest ------------------------------------------------------------------------------
# Comma-separated Fernet keys, newest first. Every key decrypts; the first one encrypts.
# `manage.py reencrypt_credentials` rewrites every stored credential with the first key.
_dev_field_key = base64.urlsafe_b64encode(hashlib.sha256(SECRET_KEY.encode()).digest()).decode()
FIELD_ENCRYPTION_KEYS = env.list("FIELD_ENCRYPTION_KEY", default=[_dev_field_key] if DEBUG else [])
if not FIELD_ENCRYPTION_KEYS:
    raise ImproperlyConfigured("FIELD_ENCRYPTION_KEY must be set when DEBUG is off.")
for _position, _key in enumerate(FIELD_ENCRYPTION_KEYS, start=1):
    # A malformed key stops every process at start, not the first worker that needs a credential.
    try:
        Fernet(_key.encode())
    except ValueError:
        raise ImproperlyConfigured(
            f"FIELD_ENCRYPTION_KEY: key {_position} of {len(FIELD_ENCRYPTION_KEYS)} is not a "
            "Fernet key (32 url-safe base64-encoded bytes); make one with: python -c "
            "'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'"
        ) from None

# Error reports (mailed to ADMINS, or the DEBUG page) mask the credentials typed into a form.
DEFAULT_EXCEPTION_REPORTER_FILTER = "backoffice.error_reports.CredentialMaskingFilter"

# Vendor base URLs may point at loopback (the bundled vendor sandbox) only when this is on.
ALLOW_LOOPBACK_VENDOR_URLS = env.bool("ALLOW_LOOPBACK_VENDOR_URLS", default=DEBUG)

# --- Passwords, logins, sessions, security ----------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# django-axes checks every login first and refuses it while the login is locked out.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "backoffice.security.DemoPasswordRefusedBackend",
]
# After LOGIN_FAILURE_LIMIT wrong passwords for one user name from one address, that user name is
# refused from that address (the right password included) for LOGIN_COOLOFF_MINUTES. Keyed on
# the pair, so a colleague behind the same office address is not locked out by someone else's
# typing, and a guesser cannot lock a user out from everywhere. A success clears the count.
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "backoffice.security.login_lockout_response"
# Browsers see an ordinary page; 429 tells a script it is being throttled.
AXES_HTTP_RESPONSE_CODE = 429
# The client address is REMOTE_ADDR (django-axes' default): a forwarded-for header is never
# trusted, so a guesser cannot pick a new address per attempt. Behind a proxy every login then
# comes from the proxy's address, and the lockout is in effect per user name.

# A session lasts one working day from login, whatever is done in it, and ends with the browser.
# Not renewed on each request: that would write the session row on every page and every progress
# poll, and keep a forgotten admin tab logged in for as long as it polls.
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=8 * 60 * 60)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_SAVE_EVERY_REQUEST = False
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Everything the admin loads is its own: no inline script or style, no other origin, no
# framing (backoffice/security.py sets it; vendor HTML shown in the admin cannot run or load).
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
if not DEBUG:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# --- Static files -------------------------------------------------------------------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles"))
# In production the files are collected (`collectstatic`, which `runstack` runs) with a content hash
# in their names and compressed, so WhiteNoise can let browsers cache them for good; development
# serves them as they are from the finders.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# --- Logging ------------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
