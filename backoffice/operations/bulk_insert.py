"""Writing thousands of queued operations in one request: ``COPY`` on PostgreSQL.

A bulk action of 10 000 targets writes 10 000 operations. ``bulk_create`` prepares every field
of every row through Django's field machinery and sends them as parameter arrays; most of a
bulk action's request went there. The operations of one request differ only in their target
(account, target, label, parameters), so the other columns are prepared once and every row is
streamed with ``COPY``. Rows whose shared columns differ from the first's, and other databases,
go through ``bulk_create``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connection
from django.db.models import Field

from backoffice.models import Operation

# The columns a request's operations differ in.
_PER_TARGET = ("account_id", "target_type_id", "target_id", "target_label", "params")


def _columns() -> list[Field[Any, Any]]:
    return [field for field in Operation._meta.concrete_fields if not field.primary_key]


def _shared_values(first: Operation, fields: list[Field[Any, Any]]) -> dict[str, Any]:
    for field in fields:
        field.pre_save(first, add=True)  # auto_now(_add) timestamps, once for the request
    return {field.attname: getattr(first, field.attname) for field in fields}


def operations_bulk_insert(operations: Sequence[Operation], *, batch_size: int) -> None:
    """Insert ``operations`` (not read back: their ids are found by their ``group_id``)."""
    if not operations:
        return
    fields = _columns()
    shared = _shared_values(operations[0], fields)
    stamped = {
        field.attname
        for field in fields
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)
    }  # one time for the whole request
    same = [name for name in shared if name not in _PER_TARGET and name not in stamped]
    if connection.vendor != "postgresql" or any(
        getattr(op, name) != shared[name] for op in operations for name in same
    ):
        Operation.objects.bulk_create(operations, batch_size=batch_size)
        return
    prepared = {
        field.attname: field.get_db_prep_save(shared[field.attname], connection) for field in fields
    }
    params = Operation._meta.get_field("params")
    columns = ", ".join(
        connection.ops.quote_name(field.column or field.attname) for field in fields
    )
    table = connection.ops.quote_name(Operation._meta.db_table)
    with connection.cursor() as cursor, cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        for op in operations:
            row = dict(prepared)
            row.update(
                account_id=op.account_id,
                target_type_id=op.target_type_id,
                target_id=op.target_id,
                target_label=op.target_label,
                params=params.get_db_prep_save(op.params, connection),
            )
            copy.write_row([row[field.attname] for field in fields])
