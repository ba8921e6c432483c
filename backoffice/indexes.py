"""Index kinds the models declare beyond Django's own."""

from __future__ import annotations

from typing import Any

from django.db import models


class AppendedIndex(models.Index):
    """A B-tree whose keys only grow as rows are appended (a time set at insert, an id).

    New keys go to the index's rightmost page, and a full rightmost page is split leaving the
    old page as full as the fillfactor asks; PostgreSQL's default of 90 keeps a tenth of every
    page free for keys that never come. On PostgreSQL this index is created with
    ``fillfactor = 100``; elsewhere it is a plain index.
    """

    def create_sql(self, model: Any, schema_editor: Any, using: str = "", **kwargs: Any) -> Any:
        statement = super().create_sql(model, schema_editor, using=using, **kwargs)
        if schema_editor.connection.vendor == "postgresql":
            parts: dict[str, Any] = statement.parts  # the stubs type every part as a Table
            parts["extra"] = f" WITH (fillfactor = 100){parts['extra']}"
        return statement
