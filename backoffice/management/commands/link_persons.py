from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from backoffice.people.linking import CHUNK, contacts_link_all_persons


class Command(BaseCommand):
    help = (
        "Link every contact to its person by normalised e-mail and phone (computing the match keys"
        " first), a batch at a time. Run once after upgrading; safe to run again at any time."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--batch-size",
            type=int,
            default=CHUNK,
            help=f"Contacts per transaction (default {CHUNK}).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        batch_size: int = options["batch_size"]
        if not 1 <= batch_size <= 10_000:
            raise CommandError(f"--batch-size must be between 1 and 10000, not {batch_size}.")
        contacts = linked = created = merged = conflicts = 0
        for summary in contacts_link_all_persons(batch_size=batch_size):
            contacts += summary.contacts
            linked += summary.linked
            created += summary.persons_created
            merged += summary.persons_merged
            conflicts += summary.conflicts
        self.stdout.write(
            self.style.SUCCESS(
                f"Checked {contacts} contacts: {linked} linked, {created} persons created,"
                f" {merged} merged, {conflicts} left for staff (their keys lead to persons"
                " that staff split)."
            )
        )
