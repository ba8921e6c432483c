"""Settings come from the environment; each case runs in a fresh interpreter."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION_ENV = {
    "DEBUG": "0",
    "SECRET_KEY": "p" * 20 + "-production-secret-key-with-enough-entropy-1234567890",
    "FIELD_ENCRYPTION_KEY": "Tx1ZQb3dGSt5a0hH0GJ4pRrq6Xv0h7a0u3gk5Fh0tq0=",
    "ALLOWED_HOSTS": "backoffice.example.org",
}

PRINT_SETTINGS = """
import json
from django.conf import settings
db = dict(settings.DATABASES["default"])
print(json.dumps({"db": db, "q": settings.Q_CLUSTER, "debug": settings.DEBUG,
                  "hosts": settings.ALLOWED_HOSTS, "keys": len(settings.FIELD_ENCRYPTION_KEYS)},
                 default=str))
"""


def run_python(code: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in _SETTINGS_VARS}
    clean.update({"DJANGO_SETTINGS_MODULE": "backoffice.settings", **env})
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


_SETTINGS_VARS = {
    "DEBUG",
    "SECRET_KEY",
    "DATABASE_URL",
    "REDIS_URL",
    "FIELD_ENCRYPTION_KEY",
    "ALLOWED_HOSTS",
    "ALLOW_LOOPBACK_VENDOR_URLS",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "SESSION_COOKIE_AGE",
    "LOGIN_FAILURE_LIMIT",
    "LOGIN_COOLOFF_MINUTES",
}


def settings_under(env: dict[str, str]) -> dict[str, object]:
    result = run_python(PRINT_SETTINGS, env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_it_defaults_to_a_sqlite_file_shared_safely_by_web_and_workers() -> None:
    parsed = settings_under({"DEBUG": "1"})
    db = parsed["db"]
    assert db["ENGINE"] == "django.db.backends.sqlite3"
    assert db["NAME"].endswith("var/db.sqlite3")
    assert db["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    assert db["OPTIONS"]["timeout"] >= 5
    assert "journal_mode=WAL" in db["OPTIONS"]["init_command"]
    assert parsed["q"]["orm"] == "default"


def test_it_takes_an_empty_database_url_for_the_default() -> None:
    parsed = settings_under({"DEBUG": "1", "DATABASE_URL": ""})
    assert parsed["db"]["NAME"].endswith("var/db.sqlite3")


def test_it_reads_a_postgres_url() -> None:
    parsed = settings_under(
        {**PRODUCTION_ENV, "DATABASE_URL": "postgres://sb:pw@db.internal:5433/switchboard"}
    )
    db = parsed["db"]
    assert db["ENGINE"] == "django.db.backends.postgresql"
    assert (db["HOST"], db["PORT"], db["NAME"], db["USER"]) == (
        "db.internal",
        5433,
        "switchboard",
        "sb",
    )
    assert db["CONN_HEALTH_CHECKS"] is True


def test_it_switches_the_task_broker_to_redis_when_given_a_url() -> None:
    parsed = settings_under({"DEBUG": "1", "REDIS_URL": "redis://127.0.0.1:6379/3"})
    assert parsed["q"]["redis"] == "redis://127.0.0.1:6379/3"
    assert "orm" not in parsed["q"]


def test_it_keeps_task_timeouts_below_redelivery() -> None:
    q = settings_under({"DEBUG": "1"})["q"]
    assert q["timeout"] < q["retry"]
    assert q["ack_failures"] is False
    assert q["catch_up"] is False
    assert 0 < q["max_attempts"] <= 5


@pytest.mark.parametrize("missing", ["SECRET_KEY", "FIELD_ENCRYPTION_KEY"])
def test_it_refuses_to_start_in_production_without_its_secrets(missing: str) -> None:
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != missing}
    result = run_python(PRINT_SETTINGS, env)
    assert result.returncode != 0
    assert f"{missing} must be set" in result.stderr


def test_it_reads_a_list_of_encryption_keys_for_rotation() -> None:
    second = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
    env = {
        **PRODUCTION_ENV,
        "FIELD_ENCRYPTION_KEY": f"{PRODUCTION_ENV['FIELD_ENCRYPTION_KEY']},{second}",
    }
    assert settings_under(env)["keys"] == 2


def test_it_passes_the_deployment_checklist_in_production() -> None:
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env={
            **{k: v for k, v in os.environ.items() if k not in _SETTINGS_VARS},
            "DJANGO_SETTINGS_MODULE": "backoffice.settings",
            **PRODUCTION_ENV,
            "DATABASE_URL": "postgres://switchboard:pw@db.internal:5432/switchboard",
        },
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
