from typing import Any

from django.core.management.base import BaseCommand, CommandError

from backoffice.services import DEMO_SANDBOX_URL, ApplicationError, demo_accounts_ensure


class Command(BaseCommand):
    help = (
        "Development only: vendor accounts aimed at the local vendor sandbox, with their sync"
        " schedules; existing ones are kept."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--sandbox-url", default=DEMO_SANDBOX_URL, help="the sandbox's address")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            accounts = demo_accounts_ensure(sandbox_url=options["sandbox_url"])
        except ApplicationError as exc:
            raise CommandError(str(exc)) from exc
        for account, created in accounts:
            state = "created" if created else "exists"
            self.stdout.write(f"Demo account {account.name!r} ({state}): {account.base_url}")
