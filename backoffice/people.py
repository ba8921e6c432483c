"""People: contacts at different vendors that are the same person."""

from __future__ import annotations

from collections.abc import Sequence


def contacts_link_persons(*, contact_ids: Sequence[int]) -> None:
    """Link these contacts (just created or refreshed by a sync) to the persons they belong to."""
    return None
