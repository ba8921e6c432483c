from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BackofficeConfig(AppConfig):
    name = "backoffice"
    verbose_name = _("Switchboard")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from backoffice.sync.services import account_schedules_connect

        account_schedules_connect()
