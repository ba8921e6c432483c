"""The error-text search of staff limited to an account, answered by one index.

``apicall_error_trgm`` becomes a two-column GIN index: the account (``btree_gin``) and the
trigrams of ``UPPER(error_message)``. With the account in the index, a scoped search for "not
found" reads the few thousand matches of that account from the index, instead of intersecting the
whole account's million-row bitmap with every account's matches (or, as the planner preferred,
walking the primary key backwards through a hundred thousand rows). A search without an account
uses the trigram column alone, as before. The name stays, so the index keeps its place in the
migration history and the tests. PostgreSQL only; a no-op on SQLite.

Only an equality on the account can use the index column: the admin's scope sends the account ids
typed as the column (``bigint``, see ``backoffice.scoping``), and a staff member limited to
several accounts (``= ANY``) is served by the trigram column and a filter.
"""

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS btree_gin",
    "DROP INDEX IF EXISTS apicall_error_trgm",
    "CREATE INDEX apicall_error_trgm ON backoffice_apicall"
    " USING gin (account_id, UPPER(error_message) gin_trgm_ops)",
    # The planner's statistics of the indexed expression went with the old index; until the next
    # ANALYZE it would guess the matches of a search (and the lists show that guess as their
    # count). A sample of 30,000 rows: seconds at ten million.
    "ANALYZE backoffice_apicall",
]

BACKWARD = [
    "DROP INDEX IF EXISTS apicall_error_trgm",
    "CREATE INDEX apicall_error_trgm ON backoffice_apicall"
    " USING gin (UPPER(error_message) gin_trgm_ops)",
    "ANALYZE backoffice_apicall",
]


def _run(statements: list[str], schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def forward(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    _run(FORWARD, schema_editor)


def backward(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    _run(BACKWARD, schema_editor)


class Migration(migrations.Migration):
    dependencies = [
        ("backoffice", "0012_audit_smaller_indexes"),
    ]

    operations = [
        migrations.RunPython(forward, backward, elidable=False),
    ]
