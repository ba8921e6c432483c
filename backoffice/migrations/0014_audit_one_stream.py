"""API calls in at most 1 KiB each on disk: both bodies in one stream, fuller indexes.

- **One stream for both bodies** (``backoffice.compression``, version 3): once its response is
  recorded, a call's request and response bodies are one deflate stream in the response column
  and the request column holds a one-byte marker. Nothing stored is rewritten: rows written
  before read as they did. The append-only trigger now also refuses to change the request body
  recorded in flight, except to that marker when the same update writes a response column that
  holds it (a stream cannot be checked in SQL beyond its version byte; the recorder writes the
  text it recorded in flight, and the models refuse any other change of it on every database).
- **``apicall_started`` on ``started_at`` alone**, with ``fillfactor = 100``
  (``AppendedIndex``): a month newest first is an index scan backwards, and PostgreSQL's
  incremental sort orders the rare calls started at the same time by id. Built anew.
- **``fillfactor = 100`` on the primary key and on the operation's index**: their keys grow as
  rows are appended, so the tenth of every page the default keeps free is never used. Set with
  ``ALTER INDEX``: it applies to the pages written from now on (every page of a new database);
  the pages of an existing table stay as they are until the index is rebuilt
  (``REINDEX INDEX CONCURRENTLY`` at a quiet time, if the space is wanted back).
- **``apicall_error_trgm`` keeps the calls with an error text only** (5 % of them): its account
  column had an entry for every call. It indexes ``UPPER(NULLIF(error_message, ''))``, under
  ``WHERE NULLIF(error_message, '') IS NOT NULL``, and the error-text search compares that
  same expression (``backoffice.admin.audit_search.ErrorText``): a match of it cannot be NULL,
  so PostgreSQL proves the index's condition from the search alone. A search adding
  ``error_message <> ''`` beside its match would use the index too, but the planner would
  multiply the two conditions' odds as if unrelated and expect twenty times too few matches
  (every match has an error text), misjudging the count staff see and the plan of a common
  match. The statistics ``apicall_error_text`` give the planner the expression's values (a
  partial index's own are not used for the whole table).

PostgreSQL only but for ``apicall_started`` (a plain index on SQLite).
"""

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

import backoffice.indexes

# The primary key and the index Django made for ApiCall.operation (its name carries a hash),
# found by what they are rather than by name.
APPENDED_INDEXES = """
SELECT c.relname FROM pg_index AS i
JOIN pg_class AS c ON c.oid = i.indexrelid
JOIN pg_attribute AS a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
WHERE i.indrelid = 'backoffice_apicall'::regclass AND i.indnatts = 1 AND i.indpred IS NULL
  AND i.indexprs IS NULL AND (i.indisprimary OR a.attname = 'operation_id')
ORDER BY c.relname
"""

ERROR_INDEX = [
    "DROP STATISTICS IF EXISTS apicall_error_text",
    "CREATE INDEX apicall_error_trgm ON backoffice_apicall"
    " USING gin (account_id, UPPER(error_message) gin_trgm_ops)",
]
# backoffice.admin.audit_search.ErrorText's expression (tests/backoffice/test_audit_storage.py
# checks that its searches use the index).
ERROR_TEXT = "NULLIF(error_message, '')"
ERROR_INDEX_PARTIAL = [
    "CREATE INDEX apicall_error_trgm ON backoffice_apicall"
    f" USING gin (account_id, UPPER({ERROR_TEXT}) gin_trgm_ops) WHERE {ERROR_TEXT} IS NOT NULL",
    f"CREATE STATISTICS apicall_error_text ON (UPPER({ERROR_TEXT})) FROM backoffice_apicall",
]

# Migration 0007's function with the request body's rule added (the '%' are PL/pgSQL's).
TRIGGER_FUNCTION = r"""
CREATE OR REPLACE FUNCTION backoffice_audit_append_only() RETURNS trigger
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
    IF TG_TABLE_NAME = 'backoffice_apicall' THEN
        IF OLD.state = 'done' THEN
            RAISE EXCEPTION
                'The audit trail is append-only: the finished API call % cannot be changed.', OLD.id
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        -- The request body recorded in flight only ever moves into the response's stream
        -- (backoffice.compression, version 3), leaving its marker.
        IF NEW.request_body IS DISTINCT FROM OLD.request_body
                AND NEW.request_body IS DISTINCT FROM '\x03'::bytea THEN
            RAISE EXCEPTION
                'The audit trail is append-only: the request body of API call % cannot be changed.',
                OLD.id
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        IF NEW.request_body = '\x03'::bytea AND NOT (
                octet_length(NEW.response_body) > 1
                AND substring(NEW.response_body FROM 1 FOR 1) = '\x03'::bytea) THEN
            RAISE EXCEPTION
                'The audit trail is append-only: the response body of API call % must hold its request body.',
                OLD.id
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
    END IF;
    RETURN NEW;
END;
$$;
"""

TRIGGER_FUNCTION_0007 = r"""
CREATE OR REPLACE FUNCTION backoffice_audit_append_only() RETURNS trigger
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
"""


def _statements(
    schema_editor: BaseDatabaseSchemaEditor, fillfactor: str, error_index: list[str]
) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(APPENDED_INDEXES)
        for (name,) in cursor.fetchall():
            cursor.execute(f'ALTER INDEX "{name}" {fillfactor}')
        cursor.execute("DROP INDEX IF EXISTS apicall_error_trgm")
        for statement in error_index:
            cursor.execute(statement)
        # The indexed expression's statistics went with the old index (see migration 0013).
        cursor.execute("ANALYZE backoffice_apicall")


def forward(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    _statements(schema_editor, "SET (fillfactor = 100)", ERROR_INDEX_PARTIAL)
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(TRIGGER_FUNCTION)


def backward(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    _statements(schema_editor, "RESET (fillfactor)", ERROR_INDEX)
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(TRIGGER_FUNCTION_0007)


class Migration(migrations.Migration):
    dependencies = [
        ("backoffice", "0013_audit_scoped_error_search"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="apicall",
            name="apicall_started",
        ),
        migrations.AddIndex(
            model_name="apicall",
            index=backoffice.indexes.AppendedIndex(fields=["started_at"], name="apicall_started"),
        ),
        migrations.RunPython(forward, backward, elidable=False),
    ]
