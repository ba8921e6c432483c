"""Files a staff member attaches to an action, kept in the database until a worker sends them."""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Iterable

from django.core.files.uploadedfile import UploadedFile

from backoffice.models import StoredFile, User

FILENAME_MAX = StoredFile._meta.get_field("filename").max_length or 255
CONTENT_TYPE_MAX = StoredFile._meta.get_field("content_type").max_length or 127


def _clean_text(value: str, limit: int) -> str:
    """Without control characters (PostgreSQL refuses NUL in text), cut to the column's size."""
    kept = "".join(c for c in value if not unicodedata.category(c).startswith("C"))
    return kept.strip()[:limit]


def stored_files_create(*, uploads: Iterable[UploadedFile], user: User | None) -> list[StoredFile]:
    """Store each upload once, with its size and SHA-256; operations refer to them by id."""
    stored = []
    for upload in uploads:
        upload.seek(0)
        content = upload.read()
        stored.append(
            StoredFile.objects.create(
                filename=_clean_text(upload.name or "", FILENAME_MAX) or "attachment",
                content_type=_clean_text(upload.content_type or "", CONTENT_TYPE_MAX),
                size=len(content),
                sha256=hashlib.sha256(content).hexdigest(),
                content=content,
                uploaded_by=user,
            )
        )
    return stored
