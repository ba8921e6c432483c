"""What keeps the audit trail append-only in the application: the retention window, the one
transaction in which audit rows may be deleted, and the refusals of every other change.

On PostgreSQL a trigger refuses the same for any SQL (migrations 0007 and 0014); on SQLite these
guards, called by the models and their querysets (``backoffice.models.audit``), are the
enforcement.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections, transaction

from backoffice.compression import HELD, VERSION_3

# The PostgreSQL setting the trigger reads: 'on' for the rest of one transaction lets it delete.
RETENTION_SETTING = "switchboard.audit_retention"
_retention_active: ContextVar[bool] = ContextVar("audit_retention_active", default=False)


class AuditTrailIsAppendOnly(Exception):
    """A change to the audit trail that the application never makes."""


@contextmanager
def audit_retention(*, using: str = DEFAULT_DB_ALIAS) -> Iterator[None]:
    """One transaction in which audit rows may be deleted: the retention command's, and no other.

    Finished API calls still cannot be changed inside it. On PostgreSQL the permission is a
    transaction-local setting (``SET LOCAL``), so it ends with the transaction whatever happens.
    """
    connection = connections[using]
    with transaction.atomic(using=using):
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT set_config(%s, 'on', true)", [RETENTION_SETTING])
        token = _retention_active.set(True)
        try:
            yield
        finally:
            _retention_active.reset(token)
        # Only reached on success; after an error the rollback undoes the setting anyway.
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT set_config(%s, 'off', true)", [RETENTION_SETTING])


def refuse_deletion(what: str) -> None:
    if not _retention_active.get():
        raise AuditTrailIsAppendOnly(
            f"The audit trail is append-only: {what} cannot be deleted. Old rows are removed "
            "only by `manage.py prune_audit`."
        )


FINISHED_CALL_IS_FINAL = (
    "The audit trail is append-only: a finished API call (#{pk}) cannot be changed."
)
REQUEST_IS_FINAL = (
    "The audit trail is append-only: an API call's request body is recorded before the request "
    "leaves and cannot be changed; completing the call may only move it into the response's "
    "stream."
)


def moves_request_into_response(request: Any, response: Any) -> bool:
    """Whether an update's request and response bodies are ``compress_pair``'s: the marker,
    and one stream holding the request (the request's text cannot be checked here; the
    recorder passes the text it recorded in flight)."""
    stream = bytes(response) if isinstance(response, bytes | memoryview) else b""
    return request == HELD and stream[:1] == VERSION_3 and len(stream) > 1
