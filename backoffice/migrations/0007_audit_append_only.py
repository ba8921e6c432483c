"""The audit trail is append-only, in the database too (PostgreSQL).

A trigger refuses any change to a finished API call and any deletion of an API call or an
operation, whoever sends the SQL, unless the transaction has set ``switchboard.audit_retention``
to ``on`` (``backoffice.models.audit_retention``, used by ``manage.py prune_audit`` alone).
Operations themselves keep moving through their states: only their deletion is refused.

SQLite has no per-transaction setting a trigger could read, and Django's own test flush deletes
rows one table at a time there, so on SQLite the models' guard is the enforcement.
"""

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

CREATE = r"""
CREATE FUNCTION backoffice_audit_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF coalesce(current_setting('switchboard.audit_retention', true), '') = 'on' THEN
            RETURN OLD;
        END IF;
        RAISE EXCEPTION
            'The audit trail is append-only: % row % cannot be deleted (only manage.py prune_audit removes old rows).',
            TG_TABLE_NAME, OLD.id
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF TG_TABLE_NAME = 'backoffice_apicall' AND OLD.state = 'done' THEN
        RAISE EXCEPTION
            'The audit trail is append-only: the finished API call % cannot be changed.', OLD.id
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER backoffice_apicall_append_only
    BEFORE UPDATE OR DELETE ON backoffice_apicall
    FOR EACH ROW EXECUTE FUNCTION backoffice_audit_append_only();

CREATE TRIGGER backoffice_operation_append_only
    BEFORE DELETE ON backoffice_operation
    FOR EACH ROW EXECUTE FUNCTION backoffice_audit_append_only();
"""

DROP = """
DROP TRIGGER IF EXISTS backoffice_operation_append_only ON backoffice_operation;
DROP TRIGGER IF EXISTS backoffice_apicall_append_only ON backoffice_apicall;
DROP FUNCTION IF EXISTS backoffice_audit_append_only();
"""


def create_triggers(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        # No parameters: the '%' in RAISE's messages are PL/pgSQL's, not placeholders.
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(CREATE)


def drop_triggers(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("backoffice", "0006_roles")]

    operations = [migrations.RunPython(create_triggers, drop_triggers, elidable=False)]
