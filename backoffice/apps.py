from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class BackofficeConfig(AppConfig):
    name = "backoffice"
    verbose_name = _("Switchboard")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        import backoffice.actions  # noqa: F401 - registers every action with the pipeline
        from backoffice.roles import roles_after_migrate
        from backoffice.sync.schedule import account_schedules_connect

        post_migrate.connect(roles_after_migrate, sender=self, dispatch_uid="backoffice.roles")
        account_schedules_connect()
