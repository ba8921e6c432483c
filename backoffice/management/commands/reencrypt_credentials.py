from typing import Any

from django.core.management.base import BaseCommand, CommandError

from backoffice.services import ApplicationError, credentials_reencrypt


class Command(BaseCommand):
    help = (
        "Re-encrypt every stored vendor credential with the newest key in FIELD_ENCRYPTION_KEY "
        "(the first one). Run after putting a new key in front; then drop the old keys."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            count = credentials_reencrypt()
        except ApplicationError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(f"Re-encrypted the credentials of {count} accounts."))
