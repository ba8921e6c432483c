"""Settings for the test suite: the real settings with test-only secrets and in-process tasks.

The environment still decides the database (``DATABASE_URL``), so the same suite runs against
SQLite and PostgreSQL. Tasks run in-process (django-q2's ``sync``) unless ``Q_SYNC=0``, which a
real ``qcluster`` started by a test uses to run them in its own workers.
"""

import os

os.environ.setdefault("SECRET_KEY", "tests-only-secret-key-not-used-anywhere-else")
# Two Fernet keys, newest first, so key rotation is exercised by the suite.
os.environ.setdefault(
    "FIELD_ENCRYPTION_KEY",
    "Tx1ZQb3dGSt5a0hH0GJ4pRrq6Xv0h7a0u3gk5Fh0tq0=,AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
)
os.environ.setdefault("ALLOW_LOOPBACK_VENDOR_URLS", "1")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")

from backoffice.settings import *  # noqa: F403
from backoffice.settings import Q_CLUSTER, env

Q_CLUSTER = {**Q_CLUSTER, "sync": env.bool("Q_SYNC", default=True)}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast logins in tests
# Pages render in the suite without a `collectstatic` first (production uses hashed, collected
# files); WhiteNoise, on as in production, finds an empty directory instead.
STATIC_ROOT = str(VAR_DIR / "test-static")  # noqa: F405
os.makedirs(STATIC_ROOT, exist_ok=True)
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
