from typing import Any

from django.core.management.base import BaseCommand, CommandError

from backoffice.services import ApplicationError, demo_superuser_ensure


class Command(BaseCommand):
    help = "Development only: create a demo superuser when there is none, and print its login."

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            login = demo_superuser_ensure()
        except ApplicationError as exc:
            raise CommandError(str(exc)) from exc
        if login.password:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Admin login: {login.username} / {login.password}  (demo data, DEBUG only)"
                )
            )
        else:
            self.stdout.write(f"Superuser {login.username!r} exists (its password was changed).")
