"""The example systemd units and environment file under deploy/: they parse as systemd units,
run commands the project has with options those commands take, stop within systemd's time,
write only where they may, and the env file alone (its secrets filled in) configures
production."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.core.management import get_commands, load_command_class
from gunicorn.config import Config

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
INSTALLED = "/srv/switchboard"  # where the units expect the checkout
PYTHON = f"{INSTALLED}/.venv/bin/python"
WEB = DEPLOY / "switchboard-web.service"
WORKER = DEPLOY / "switchboard-worker@.service"
ENV_FILE = DEPLOY / "switchboard.env.example"
SECRETS = {
    "SECRET_KEY": lambda: secrets.token_urlsafe(50),
    "FIELD_ENCRYPTION_KEY": lambda: Fernet.generate_key().decode(),
}


def unit(path: Path) -> dict[str, list[str]]:
    """``section.Key`` -> its values, in order (systemd allows a key more than once)."""
    entries: dict[str, list[str]] = {}
    section = ""
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            section = line.strip("[]")
            continue
        key, _, value = line.partition("=")
        entries.setdefault(f"{section}.{key}", []).append(value)
    return entries


def env_file() -> dict[str, str]:
    values: dict[str, str] = {}
    for line in ENV_FILE.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, value = line.partition("=")
            values[name.strip()] = value.strip()
    return values


def seconds(value: str) -> float:
    assert value.isdigit(), f"{value!r}: give plain seconds"
    return float(value)


def test_the_units_parse_as_systemd_units(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed; the tests below check the units' content")
    # Aimed at this checkout, so systemd checks that every command it would run is there.
    for path in (WEB, WORKER):
        text = path.read_text().replace(PYTHON, sys.executable).replace(INSTALLED, str(ROOT))
        (tmp_path / path.name).write_text(text)
    names = [WEB.name, WORKER.name]

    result = subprocess.run(
        [analyze, "verify", *(str(tmp_path / n) for n in names)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    complaints = [
        line for line in result.stderr.splitlines() if any(name in line for name in names)
    ]
    assert result.returncode == 0, result.stderr
    assert complaints == []


def _commands(path: Path) -> list[list[str]]:
    entries = unit(path)
    lines = entries.get("Service.ExecStartPre", []) + entries["Service.ExecStart"]
    return [line.split() for line in lines]


@pytest.mark.parametrize("path", [WEB, WORKER], ids=lambda p: p.name)
def test_the_units_run_commands_the_project_has(path: Path) -> None:
    for command in _commands(path):
        assert command[0] == PYTHON, command
        if command[1] == "manage.py":
            name, *options = command[2:]
            app = get_commands()[name]  # a KeyError names a command the project lacks
            # The command's own parser: an option it does not take exits.
            load_command_class(app, name).create_parser("manage.py", name).parse_args(options)
        else:
            assert command[1:3] == ["-m", "gunicorn"], command
            parsed = Config().parser().parse_args(command[3:])
            (module,) = parsed.args
            assert module == "backoffice.wsgi"
            assert callable(__import__(module, fromlist=["application"]).application)


def test_only_the_web_unit_migrates_and_the_worker_runs_qcluster() -> None:
    web = [c[2] for c in _commands(WEB) if c[1] == "manage.py"]
    worker = [c[1:] for c in _commands(WORKER)]

    assert web == ["migrate", "collectstatic"]
    assert worker == [["manage.py", "qcluster"]]


def test_a_stop_ends_within_the_units_stop_timeout() -> None:
    web, worker = unit(WEB), unit(WORKER)
    for entries in (web, worker):
        assert entries["Service.KillMode"] == ["control-group"]
        assert entries["Service.KillSignal"] == ["SIGTERM"]
        assert entries["Service.Restart"] == ["on-failure"]
    # qcluster's own stop, then gunicorn's graceful one, each ends before systemd kills.
    stop = seconds(env_file().get("QCLUSTER_STOP_SECONDS", "8"))
    assert stop + 3 <= seconds(worker["Service.TimeoutStopSec"][0])
    gunicorn = next(c for c in _commands(WEB) if "gunicorn" in c)
    graceful = Config().parser().parse_args(gunicorn[3:]).graceful_timeout
    assert graceful + 3 <= seconds(web["Service.TimeoutStopSec"][0])


@pytest.mark.parametrize("path", [WEB, WORKER], ids=lambda p: p.name)
def test_the_units_write_only_to_var(path: Path) -> None:
    entries = unit(path)
    writable = entries["Service.ReadWritePaths"]

    assert entries["Service.ProtectSystem"] == ["strict"]
    assert entries["Service.WorkingDirectory"] == [INSTALLED]
    assert writable == [f"{INSTALLED}/var"]  # settings.VAR_DIR: BASE_DIR / "var"
    assert env_file()["STATIC_ROOT"].startswith(f"{INSTALLED}/var/")  # collectstatic writes it
    assert entries["Service.EnvironmentFile"] == ["/etc/switchboard/switchboard.env"]
    assert entries["Service.User"] == ["switchboard"]
    assert entries["Service.NoNewPrivileges"] == ["yes"]
    assert entries["Service.PrivateTmp"] == ["yes"]


def _settings_from(values: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """Run manage.py with only what systemd would give it: the env file and a bare PATH."""
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **values},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


PRINT = (
    "from django.conf import settings as s; import json; print(json.dumps({"
    "'debug': s.DEBUG, 'engine': s.DATABASES['default']['ENGINE'], "
    "'redis': s.Q_CLUSTER.get('redis'), 'hosts': s.ALLOWED_HOSTS}))"
)


def test_the_env_file_alone_configures_production_once_its_secrets_are_filled_in() -> None:
    values = env_file()
    empty = sorted(name for name, value in values.items() if not value)
    assert empty == sorted(SECRETS)  # no secret is shipped in the example
    filled = {**values, **{name: make() for name, make in SECRETS.items()}}

    check = _settings_from(filled, "check", "--deploy", "--fail-level", "WARNING")
    shown = _settings_from(filled, "shell", "-c", PRINT)

    assert check.returncode == 0, check.stdout + check.stderr
    assert "no issues" in check.stdout
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout.splitlines()[-1]) == {
        "debug": False,
        "engine": "django.db.backends.postgresql",
        "redis": values["REDIS_URL"],
        "hosts": values["ALLOWED_HOSTS"].split(","),
    }


def test_the_env_file_as_shipped_refuses_to_start() -> None:
    result = _settings_from(env_file(), "check")

    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off." in result.stderr
