"""The operations pipeline on time and at scale: real ``manage.py qcluster`` processes, the vendor
sandbox over loopback, PostgreSQL, on django-q2's ORM and Redis brokers.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres python bench/pipeline.py
    python bench/pipeline.py --quick                      # smaller sizes, one minute of limits
    python bench/pipeline.py --broker redis --only storm  # one scenario on one broker

Each scenario on each broker runs in a child process of its own (Django reads its settings once
per process) on a fresh database (``bench_pipeline_…``, created and dropped here), with a fresh
sandbox and clusters in process groups of their own, their logs in a temporary directory. Redis
is used on 127.0.0.1:6379 db 0 under a cluster name no other run uses. The figures are printed
beside their targets; nothing here fails a build. See bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path
from types import FrameType

sys.path.insert(0, str(Path(__file__).resolve().parent))

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/postgres"
CHILD_SECONDS = 40 * 60  # one scenario on one broker, at most


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--broker", choices=("orm", "redis", "both"), default="both")
    parser.add_argument("--only", help="one scenario: " + ", ".join(scenario_names()))
    parser.add_argument("--quick", action="store_true", help="a shorter smoke run")
    parser.add_argument("--keep-logs", action="store_true", help="keep the clusters' logs")
    parser.add_argument(
        "--child", nargs=3, metavar=("SCENARIO", "BROKER", "RESULT"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.child:
        return child(*args.child, quick=args.quick, keep_logs=args.keep_logs)
    database_url = os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    if not database_url.startswith("postgres"):
        print("bench/pipeline.py needs PostgreSQL (DATABASE_URL=postgres://...)", file=sys.stderr)
        return 2
    names = scenario_names()
    if args.only and args.only not in names:
        parser.error(f"--only: one of {', '.join(names)}")
    brokers = ("orm", "redis") if args.broker == "both" else (args.broker,)
    figures: list[dict[str, object]] = []
    for name in [args.only] if args.only else names:
        for broker in brokers:
            figures += run_child(name, broker, database_url, args)
    print_table(figures)
    return 0


def scenario_names() -> list[str]:
    from _pipeline_scenarios import SCENARIOS

    return list(SCENARIOS)


def run_child(
    name: str, broker: str, database_url: str, args: argparse.Namespace
) -> list[dict[str, object]]:
    print(f"\n== {name} on the {broker} broker{' (quick)' if args.quick else ''}", flush=True)
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as result:
        path = Path(result.name)
    argv = [sys.executable, __file__, "--child", name, broker, str(path)]
    argv += ["--quick"] * args.quick + ["--keep-logs"] * args.keep_logs
    child_env = {**os.environ, "DATABASE_URL": database_url}
    process = subprocess.Popen(argv, env=child_env)  # noqa: S603 - this script, as a child
    started = time.monotonic()
    try:
        process.wait(timeout=CHILD_SECONDS)
    except subprocess.TimeoutExpired:
        process.terminate()  # its own clean-up runs: clusters, sandbox, database
        process.wait(timeout=120)
    except KeyboardInterrupt:
        process.wait(timeout=120)  # the child got the Ctrl-C too, and cleans up
        raise
    finally:
        figures = json.loads(path.read_text() or "[]") if path.exists() else []
        path.unlink(missing_ok=True)
    print(f"   ({time.monotonic() - started:.0f} s)", flush=True)
    if process.returncode != 0 and not figures:
        return [_row(name, broker, "run", f"stopped (exit {process.returncode})", "", False)]
    return figures


def _row(
    scenario: str, broker: str, figure: str, value: str, target: str, met: bool | None
) -> dict[str, object]:
    return {
        "scenario": scenario,
        "broker": broker,
        "figure": figure,
        "value": value,
        "target": target,
        "met": met,
    }


def print_table(figures: list[dict[str, object]]) -> None:
    head = ("scenario", "broker", "figure", "value", "target", "met?")
    rows = [
        (
            str(f["scenario"]),
            str(f["broker"]),
            str(f["figure"]),
            str(f["value"]),
            str(f["target"] or "-"),
            {True: "yes", False: "NO", None: "-"}[f["met"]],  # type: ignore[index]
        )
        for f in figures
    ]
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
    print()
    for row in [head, tuple("-" * w for w in widths), *rows]:
        print(" | ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
    missed = sum(1 for f in figures if f["met"] is False)
    print(f"\n{missed} of {sum(1 for f in figures if f['met'] is not None)} targets not met")


# --- one scenario on one broker, in its own process -----------------------------------------------


def _terminated(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt  # so the clean-up below runs


def child(name: str, broker: str, result: str, *, quick: bool, keep_logs: bool) -> int:
    from _pipeline_procs import fresh_database, stop_all
    from _pipeline_scenarios import SCENARIOS, Run

    signal.signal(signal.SIGTERM, _terminated)
    logs = Path(tempfile.mkdtemp(prefix=f"bench-pipeline-{name}-{broker}-"))
    database = f"bench_pipeline_{secrets.token_hex(4)}"
    run = Run(name, broker, quick, logs, env={})
    status = 0
    cluster_name = ""
    try:
        with fresh_database(os.environ["DATABASE_URL"], database) as url:
            from _pipeline_world import django_start

            run.env = django_start(url, broker)
            cluster_name = run.env["Q_CLUSTER_NAME"]
            try:
                SCENARIOS[name](run)
            finally:
                stop_all()
    except Exception as exc:
        traceback.print_exc()
        run.add("run", f"stopped: {type(exc).__name__}: {str(exc)[:200]}", "", False)
        status = 1
    finally:
        stop_all()
        if broker == "redis" and cluster_name:
            from _pipeline_world import redis_forget

            redis_forget(cluster_name)
        Path(result).write_text(json.dumps([f.to_json() for f in run.figures]))
        if keep_logs or status:
            print(f"   logs in {logs}")
        else:
            import shutil

            shutil.rmtree(logs, ignore_errors=True)
    return status


if __name__ == "__main__":
    sys.exit(main())
