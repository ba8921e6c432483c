"""The due-time dispatcher: its index, the rate limiter's turns, and no more sweeper schedule.

The sweeper now runs in every cluster's dispatcher thread (backoffice.operations.dispatcher), not
as a django-q2 schedule that waits behind the backlog; the schedule migration 0003 made goes.
"""

from django.db import migrations, models
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

SWEEPER = "Sweep operations"


def delete_schedule(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    apps.get_model("django_q", "Schedule").objects.filter(name=SWEEPER).delete()


def create_schedule(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    apps.get_model("django_q", "Schedule").objects.update_or_create(
        name=SWEEPER,
        defaults={
            "func": "backoffice.tasks.operations_sweep",
            "schedule_type": "I",
            "minutes": 1,
            "repeats": -1,
        },
    )


class Migration(migrations.Migration):
    dependencies = [
        ("backoffice", "0009_audit_compressed_bodies"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]

    operations = [
        migrations.AddField(
            model_name="ratebucket",
            name="deferred_until",
            field=models.DateTimeField(blank=True, null=True, verbose_name="deferred until"),
        ),
        migrations.AddIndex(
            model_name="operation",
            index=models.Index(
                condition=models.Q(("state", "queued")),
                fields=["dispatched_at"],
                name="operation_queued_dispatch",
            ),
        ),
        migrations.RunPython(delete_schedule, create_schedule),
    ]
