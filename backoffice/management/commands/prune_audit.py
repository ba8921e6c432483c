from __future__ import annotations

import argparse
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from backoffice.retention import PRUNE_BATCH_SIZE, audit_prune


def _positive(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number of at least 1")
    return number


class Command(BaseCommand):
    help = (
        "Delete API calls and finished operations older than the retention window "
        "(AUDIT_RETENTION_DAYS). The only way rows leave the audit trail."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--older-than-days",
            type=_positive,
            default=None,
            metavar="N",
            help="Age in days (at least 1); default: AUDIT_RETENTION_DAYS.",
        )
        parser.add_argument(
            "--batch-size",
            type=_positive,
            default=PRUNE_BATCH_SIZE,
            help=f"Rows per transaction (default {PRUNE_BATCH_SIZE}).",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Count what would be deleted; delete nothing."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        days = options["older_than_days"] or settings.AUDIT_RETENTION_DAYS
        verbose = options["verbosity"] >= 2
        pruned = audit_prune(
            older_than_days=days,
            batch_size=options["batch_size"],
            dry_run=options["dry_run"],
            progress=self.stdout.write if verbose else None,
        )
        what = f"{pruned.api_calls} API calls and {pruned.operations} operations"
        when = f"older than {days} days (before {pruned.cutoff:%Y-%m-%d %H:%M %Z})"
        if pruned.dry_run:
            self.stdout.write(f"Would delete {what} {when}. Nothing was deleted (dry run).")
        else:
            self.stdout.write(self.style.SUCCESS(f"Deleted {what} {when}."))
