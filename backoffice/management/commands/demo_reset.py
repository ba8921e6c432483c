from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection


class Command(BaseCommand):
    help = (
        "Development only: empty the database (every table, the audit trail included) so the next"
        " `make run` sets the demo up from the start. `make demo-reset` runs this, then `make run`."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--noinput", "--no-input", action="store_false", dest="interactive", help="do not ask"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError("The demo is reset only when DEBUG is on; nothing was deleted.")
        name = connection.settings_dict["NAME"]
        if options["interactive"]:
            answer = input(f"Delete everything in the database {name!r}? Type 'yes' to go on: ")
            if answer.strip() != "yes":
                raise CommandError("Nothing was deleted.")
        # flush empties every table in one statement per database (on PostgreSQL a TRUNCATE,
        # which the audit trail's row triggers do not see), then runs post_migrate, which puts
        # back the roles.
        call_command("flush", "--noinput", verbosity=0)
        self.stdout.write(f"Emptied {name!r}; `make run` sets up the demo again.")
