"""What a contact looks like at each vendor, and which of its fields a push must send."""

from __future__ import annotations

from typing import Any

from backoffice.models import Contact, Tag


def bony_fields(contact: Contact) -> dict[str, Any]:
    """Bony.chat custom fields (vendor-docs 004): the standard four, then the contact's own."""
    fields: dict[str, Any] = {
        "firstName": contact.first_name,
        "lastName": contact.last_name,
        "email": contact.email,
        "phone": contact.phone,
    }
    for name, value in (contact.custom_fields or {}).items():
        fields.setdefault(str(name), value)
    return fields


def helpcrunch_fields(contact: Contact) -> dict[str, Any]:
    """HelpCrunch customer fields (PATCH /customers/:id); custom fields go in ``customData``."""
    fields: dict[str, Any] = {
        "name": f"{contact.first_name} {contact.last_name}".strip(),
        "email": contact.email,
        "phone": contact.phone,
    }
    if contact.custom_fields:
        fields["customData"] = dict(contact.custom_fields)
    return fields


def changed_fields(current: dict[str, Any], snapshot: dict[str, Any]) -> dict[str, Any]:
    """The fields that differ from what the vendor last had. With no snapshot (never synced),
    every field with a value; an emptied field is sent only when the vendor had a value."""
    if not snapshot:
        return {k: v for k, v in current.items() if v not in ("", None, {})}
    return {
        k: v
        for k, v in current.items()
        if snapshot.get(k) != v and not (v == "" and k not in snapshot)
    }


def tags_apply(contact: Contact, names: list[str], *, add: bool) -> None:
    """Mirror a tag change the vendor accepted onto the contact."""
    tags = Tag.objects.filter(account_id=contact.account_id, name__in=names)
    if add:
        # The account's tags not there yet are made; those that exist keep their colour.
        Tag.objects.bulk_create(
            [Tag(account_id=contact.account_id, name=n) for n in names], ignore_conflicts=True
        )
        contact.tags.add(*tags)
    else:
        contact.tags.remove(*tags)


def snapshot_apply(
    contact: Contact, fields: dict[str, Any], *, vendor_id: str | None = None
) -> None:
    snapshot = {**(contact.vendor_snapshot or {}), **fields}
    values: dict[str, Any] = {"vendor_snapshot": snapshot}
    if vendor_id is not None:
        values["vendor_id"] = vendor_id
    Contact.objects.filter(pk=contact.pk).update(**values)
