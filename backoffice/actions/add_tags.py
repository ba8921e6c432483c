"""Add tags to contacts at HelpCrunch and Bony.chat: the whole story of the action (its
mirror image, ``remove_tags``, reuses this module's form and handlers).

- **Parameters**: tag names typed or picked from the accounts' tags, at most
  ``MAX_TAGS_PER_ACTION`` of at most ``TAG_NAME_MAX_CHARS`` characters (``TagsForm``);
  HelpCrunch also takes a colour, the one of the account's tag of that name here.
- **Skipped**: contacts outside the staff member's accounts, at an inactive account, at Thulium
  (it has no tags here), or not at their vendor yet (no vendor id).
- **Sent**: HelpCrunch ``PUT /customers/{id}/tags`` with every tag in one request; Bony.chat
  ``POST contact/{id}/tags`` in requests of at most 10 (the connector splits them).
- **Reconciled**: nothing to reconcile (adding a tag twice changes nothing).
- **Mirror**: the contact's tags (``mirror.contacts.tags_apply``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from backoffice.actions.forms import ActionForm
from backoffice.mirror.contacts import tags_apply
from backoffice.models import Contact, OperationAction, Tag, User
from backoffice.operations.action import Action, Done, Handler, Run
from backoffice.operations.enqueue import Enqueued, operations_enqueue
from backoffice.operations.registry import register
from backoffice.vendors import Vendor

MAX_TAGS_PER_ACTION = 50
TAG_NAME_MAX_CHARS: int = Tag._meta.get_field("name").max_length or 191
# How many existing tags the tag forms offer to pick from; more can always be typed.
TAG_CHOICES_SHOWN = 100


class TagsForm(ActionForm):
    """Tag names typed (comma-separated) and/or picked from the tags the selection's accounts
    already have. ``existing_choices`` is the list of names to offer."""

    names = forms.CharField(
        label=_("Tag names"),
        required=False,
        widget=forms.TextInput(attrs={"size": 80, "placeholder": "vip, reklamacja, newsletter"}),
        help_text=_("Separate names with commas. At most %(max)s tags, %(chars)s characters each.")
        % {"max": MAX_TAGS_PER_ACTION, "chars": TAG_NAME_MAX_CHARS},
    )
    existing = forms.MultipleChoiceField(
        label=_("Existing tags"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, existing_choices: Sequence[str] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["existing"]
        assert isinstance(field, forms.MultipleChoiceField)
        field.choices = [(name, name) for name in existing_choices]
        if not existing_choices:
            del self.fields["existing"]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        typed = [part.strip() for part in (cleaned.get("names") or "").split(",")]
        while typed and not typed[-1]:
            typed.pop()  # a trailing comma is harmless
        names = [part for part in typed if part] + list(cleaned.get("existing") or [])
        errors: list[str] = []
        if any(not part for part in typed):
            errors.append(str(_("A tag name is empty: remove the doubled or leading comma.")))
        if too_long := [name for name in names if len(name) > TAG_NAME_MAX_CHARS]:
            errors.append(
                str(_("“%(name)s…” has %(len)s characters; a tag name has at most %(max)s."))
                % {"name": too_long[0][:40], "len": len(too_long[0]), "max": TAG_NAME_MAX_CHARS}
                + _more(len(too_long) - 1)
            )
        if twice := [name for name, n in Counter(names).items() if n > 1]:
            shown = ", ".join(f"“{name[:40]}”" for name in twice[:5])
            errors.append(str(_("Given twice: %(names)s.")) % {"names": shown})
        if len(names) > MAX_TAGS_PER_ACTION:
            errors.append(
                str(_("At most %(max)s tags per action; %(count)s were given."))
                % {"max": MAX_TAGS_PER_ACTION, "count": len(names)}
            )
        if not names and not errors and "names" not in self.errors:
            errors.append(str(_("Type at least one tag name, or pick an existing tag.")))
        for error in errors:
            self.add_error("names", error)
        cleaned["tags"] = names
        return cleaned


def _more(count: int) -> str:
    return f" ({_('and %(n)s more') % {'n': count}})" if count > 0 else ""


class TagRequest:
    """``{"tags": [{"name", "color"?}]}`` per contact. HelpCrunch takes a colour: the one of the
    account's tag of that name here, when it has one."""

    def __init__(self, names: list[str], *, with_colours: bool) -> None:
        self.names = names
        self.with_colours = with_colours
        self.colours: dict[int, dict[str, str]] = {}

    def _colours(self, account_id: int) -> dict[str, str]:
        if account_id not in self.colours:
            rows = Tag.objects.filter(account_id=account_id, name__in=self.names).exclude(color="")
            self.colours[account_id] = dict(rows.values_list("name", "color"))
        return self.colours[account_id]

    def __call__(self, contact: Contact) -> dict[str, Any]:
        if not (self.with_colours and contact.account.vendor == Vendor.HELPCRUNCH):
            return {"tags": [{"name": name} for name in self.names]}
        colours = self._colours(contact.account_id)
        return {
            "tags": [
                {"name": name, **({"color": colours[name]} if name in colours else {})}
                for name in self.names
            ]
        }


class HelpCrunchTags(Handler):
    vendor = Vendor.HELPCRUNCH
    add = True

    def skip_reason(self, target: Any) -> str | None:
        return None if target.vendor_id else "not at HelpCrunch yet (no customer id)"

    def perform(self, run: Run) -> Done:
        contact: Contact = run.target
        tags = run.params["tags"]
        # One request carries every tag: HelpCrunch sets no per-request limit (docs).
        wire = [
            {"name": t["name"], **({"color": t["color"]} if t.get("color") else {})} for t in tags
        ]
        send = run.client.add_tags if self.add else run.client.remove_tags
        send(contact.vendor_id or "", wire)
        return _done(contact, [t["name"] for t in tags], add=self.add)


class BonyTags(Handler):
    vendor = Vendor.BONY
    add = True

    def skip_reason(self, target: Any) -> str | None:
        return None if target.vendor_id else "not at Bony.chat yet (no contact id)"

    def perform(self, run: Run) -> Done:
        contact: Contact = run.target
        names = [t["name"] for t in run.params["tags"]]
        # The client splits the names into requests of at most 10 (vendor-docs 004).
        send = run.client.add_tags if self.add else run.client.remove_tags
        send(contact.vendor_id or "", names)
        return _done(contact, names, add=self.add)


def _done(contact: Contact, names: list[str], *, add: bool) -> Done:
    return Done({"tags": names}, lambda: tags_apply(contact, names, add=add))


class AddTags(Action):
    name = OperationAction.ADD_TAGS
    permission = "tag_contact"
    target_model = Contact
    handlers = (HelpCrunchTags(), BonyTags())


ACTION = register(AddTags())


def tags_enqueue(
    *,
    actor: User,
    action: Action,
    contacts: QuerySet[Contact] | Sequence[Contact],
    names: list[str],
) -> Enqueued:
    """Queue the tag change ``action`` (this one or ``remove_tags``) of ``names`` per contact."""
    return operations_enqueue(
        actor=actor,
        action=action.name,
        targets=contacts,
        params=TagRequest(names, with_colours=action.name == OperationAction.ADD_TAGS),
    )


def add_tags_enqueue(
    *, actor: User, contacts: QuerySet[Contact] | Sequence[Contact], names: list[str]
) -> Enqueued:
    """Queue the tags (``TagsForm``'s ``tags``) to be added to each contact at its vendor."""
    return tags_enqueue(actor=actor, action=ACTION, contacts=contacts, names=names)
