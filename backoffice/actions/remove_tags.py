"""Remove tags from contacts at HelpCrunch and Bony.chat: ``add_tags`` in reverse.

Its form, skip rules and requests are ``add_tags``'s (``TagsForm``, with the tags the selected
contacts carry to pick from); HelpCrunch ``DELETE customers/{id}/tags`` and Bony.chat
``DELETE contact/{id}/tags`` take the names, and the mirror drops the contact's links to them.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db.models import QuerySet

from backoffice.actions.add_tags import BonyTags, HelpCrunchTags, tags_enqueue
from backoffice.models import Contact, OperationAction, User
from backoffice.operations.action import Action
from backoffice.operations.enqueue import Enqueued
from backoffice.operations.registry import register


class HelpCrunchUntag(HelpCrunchTags):
    add = False


class BonyUntag(BonyTags):
    add = False


class RemoveTags(Action):
    name = OperationAction.REMOVE_TAGS
    permission = "tag_contact"
    target_model = Contact
    handlers = (HelpCrunchUntag(), BonyUntag())


ACTION = register(RemoveTags())


def remove_tags_enqueue(
    *, actor: User, contacts: QuerySet[Contact] | Sequence[Contact], names: list[str]
) -> Enqueued:
    """Queue the tags (``TagsForm``'s ``tags``) to be removed from each contact at its vendor."""
    return tags_enqueue(actor=actor, action=ACTION, contacts=contacts, names=names)
