from __future__ import annotations

import re

import pytest
from django.contrib import admin
from django.test import Client

from backoffice.models import ApiCall, Contact, Operation, Tag, VendorAccount
from connectors.sandbox.testing import SandboxHandle
from tests.backoffice.admin.flow import (
    action_choices,
    apply,
    form_errors,
    messages,
    operations,
    run,
    sent,
    staff_client,
    start,
)
from tests.factories import (
    BonyAccountFactory,
    ContactFactory,
    TagFactory,
    ThuliumAccountFactory,
)

pytestmark = pytest.mark.django_db

HC = "https://api.helpcrunch.com/v1"
BONY = "https://app.bony.chat/api/v1"
BONY_OK = {"status": "success", "message": "Contact Tags have been added successfully.", "data": []}


def test_it_adds_tags_with_the_accounts_colours_at_helpcrunch_and_names_at_bony(
    owner_client: Client, helpcrunch: VendorAccount, bony: VendorAccount, rsps
) -> None:
    TagFactory(account=helpcrunch, name="vip", color="#c377e0")
    TagFactory(account=bony, name="vip", color="#ff0000")
    at_helpcrunch = ContactFactory(account=helpcrunch, vendor_id="5001")
    at_bony = ContactFactory(account=bony, vendor_id="1776025372480910")
    at_thulium = ContactFactory(account=ThuliumAccountFactory(name="Centrala"), vendor_id="23")
    not_at_bony_yet = ContactFactory(account=bony, vendor_id=None)
    rsps.put(f"{HC}/customers/5001/tags", json={"id": 5001, "tags": []})
    rsps.post(f"{BONY}/contact/1776025372480910/tags", json=BONY_OK)
    everyone = [at_helpcrunch.pk, at_bony.pk, at_thulium.pk, not_at_bony_yet.pk]

    form_page = start(owner_client, Contact, "add_tags", everyone)
    assert list(form_page.context["form"].fields["existing"].choices) == [("vip", "vip")]
    response = run(
        owner_client,
        Contact,
        "add_tags",
        everyone,
        {"names": " nowy ,reklamacja 2024,", "existing": ["vip"]},
    )

    assert messages(response) == [
        "Queued 2 tag changes (follow their progress); 2 skipped:"
        f" {not_at_bony_yet} — not at Bony.chat yet (no contact id);"
        f" {at_thulium} — Thulium does not support this action."
    ]
    helpcrunch_call, bony_call = sorted(rsps.calls, key=lambda c: c.request.url)
    assert helpcrunch_call.request.method == "PUT"
    assert helpcrunch_call.request.body == (
        b'{"tags":[{"name":"nowy"},{"name":"reklamacja 2024"},{"name":"vip","color":"#c377e0"}]}'
    )
    assert bony_call.request.body == b'{"tags":["nowy","reklamacja 2024","vip"]}'
    by_target = {op.target: op for op in operations("add_tags")}
    assert set(by_target) == {at_helpcrunch, at_bony}
    assert all(op.state == "succeeded" for op in by_target.values())
    assert by_target[at_bony].params == {
        "tags": [{"name": "nowy"}, {"name": "reklamacja 2024"}, {"name": "vip"}]
    }
    assert ApiCall.objects.filter(status_code=200).count() == 2
    assert {t.name for t in at_helpcrunch.tags.all()} == {"nowy", "reklamacja 2024", "vip"}
    assert Tag.objects.filter(account=helpcrunch).count() == 3
    assert not_at_bony_yet.tags.count() == 0


def test_it_tags_contacts_at_the_sandboxes(
    owner_client: Client,
    helpcrunch_sandbox: VendorAccount,
    bony_sandbox: VendorAccount,
    sandbox: SandboxHandle,
) -> None:
    TagFactory(account=helpcrunch_sandbox, name="zwrot", color="#123456")
    anna = ContactFactory(account=helpcrunch_sandbox, vendor_id="1")
    anna_bony = ContactFactory(account=bony_sandbox, vendor_id="1776025372480910")
    names = ["zwrot"] + [f"kampania-{i}" for i in range(11)]

    run(owner_client, Contact, "add_tags", [anna.pk, anna_bony.pk], {"names": ", ".join(names)})

    assert [op.state for op in operations("add_tags")] == ["succeeded", "succeeded"]
    customer = sandbox.state.helpcrunch.customers[1]
    assert [t.name for t in customer.tags] == ["доставка", *names]
    assert sandbox.state.helpcrunch.tags["zwrot"].color == "#123456"
    contact = sandbox.state.bony["sandbox"].contacts["1776025372480910"]
    assert contact.tags == ["Platform Updates", "Blog Updates", *names]
    # Bony.chat takes at most 10 tags a request: the twelve went in two.
    assert [r["method"] for r in sandbox.received("bony")] == ["POST", "POST"]
    assert {t.name for t in anna_bony.tags.all()} == set(names)


def test_it_removes_tags_picked_from_those_the_contacts_carry(
    owner_client: Client,
    helpcrunch_sandbox: VendorAccount,
    bony_sandbox: VendorAccount,
    sandbox: SandboxHandle,
) -> None:
    anna = ContactFactory(account=helpcrunch_sandbox, vendor_id="1")
    anna.tags.add(TagFactory(account=helpcrunch_sandbox, name="доставка"))
    anna_bony = ContactFactory(account=bony_sandbox, vendor_id="1776025372480910")
    anna_bony.tags.add(TagFactory(account=bony_sandbox, name="Blog Updates"))
    TagFactory(account=bony_sandbox, name="carried by nobody")
    selected = [anna.pk, anna_bony.pk]

    form_page = start(owner_client, Contact, "remove_tags", selected)
    assert list(form_page.context["form"].fields["existing"].choices) == [
        ("Blog Updates", "Blog Updates"),
        ("доставка", "доставка"),
    ]
    run(
        owner_client,
        Contact,
        "remove_tags",
        selected,
        {"names": "", "existing": ["Blog Updates", "доставка"]},
    )

    assert [op.state for op in operations("remove_tags")] == ["succeeded", "succeeded"]
    assert sandbox.state.helpcrunch.customers[1].tags == []
    contact = sandbox.state.bony["sandbox"].contacts["1776025372480910"]
    assert contact.tags == ["Platform Updates"]
    assert anna.tags.count() == anna_bony.tags.count() == 0


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"names": ""}, "Tag names: Type at least one tag name, or pick an existing tag."),
        (
            {"names": " , vip"},
            "Tag names: A tag name is empty: remove the doubled or leading comma.",
        ),
        ({"names": "vip,,nowy"}, "Tag names: A tag name is empty"),
        (
            {"names": "ok, " + "ż" * 192},
            f"Tag names: “{'ż' * 40}…” has 192 characters; a tag name has at most 191.",
        ),
        (
            {"names": ",".join(["x" * 200] * 3)},
            "characters; a tag name has at most 191. (and 2 more)",
        ),
        ({"names": "vip, nowy, vip"}, "Tag names: Given twice: “vip”."),
        ({"names": "vip", "existing": ["vip"]}, "Tag names: Given twice: “vip”."),
        (
            {"names": ", ".join(f"t{i}" for i in range(51))},
            "Tag names: At most 50 tags per action; 51 were given.",
        ),
        ({"names": "a" * 500_000}, "Tag names: “"),
        ({"names": "nul\x00l"}, "Tag names: Null characters are not allowed."),
        ({"existing": ["nie-ma"]}, "Existing tags: Select a valid choice. nie-ma is not one"),
    ],
)
@pytest.mark.parametrize("action", ["add_tags", "remove_tags"])
def test_it_refuses_unusable_tag_names_naming_the_field_and_the_limit(
    owner_client: Client, bony: VendorAccount, action: str, data: dict[str, object], error: str
) -> None:
    contact = ContactFactory(account=bony)
    contact.tags.add(TagFactory(account=bony, name="vip"))

    response = apply(owner_client, Contact, action, [contact.pk], data)

    assert response.status_code == 200
    errors = [e for field_errors in form_errors(response).values() for e in field_errors]
    assert any(error in e for e in errors), errors
    assert not Operation.objects.exists()


def test_it_accepts_fifty_unicode_tags_of_the_longest_name(
    owner_client: Client, bony: VendorAccount, rsps
) -> None:
    contact = ContactFactory(account=bony, vendor_id="77")
    names = [f"{i:02d}" + "🎁" * 189 for i in range(49)] + ["доставка"]
    rsps.post(f"{BONY}/contact/77/tags", json=BONY_OK)

    run(owner_client, Contact, "add_tags", [contact.pk], {"names": ",".join(names)})

    assert [sent(call)["tags"] for call in rsps.calls] == [
        names[i : i + 10] for i in range(0, 50, 10)
    ]
    assert contact.tags.count() == 50


def test_it_tags_every_contact_matching_the_filter_across_pages(
    owner_client: Client, bony: VendorAccount, helpcrunch: VendorAccount, rsps, monkeypatch
) -> None:
    monkeypatch.setattr(admin.site._registry[Contact], "list_per_page", 2)
    at_bony = ContactFactory.create_batch(3, account=bony)
    ContactFactory.create_batch(2, account=helpcrunch)
    rsps.post(re.compile(rf"{BONY}/contact/\d+/tags"), json=BONY_OK)
    query = "account__vendor__exact=bony"
    page = owner_client.get(f"/admin/backoffice/contact/?{query}")
    shown = [c.pk for c in page.context["cl"].result_list]
    assert len(shown) == 2

    response = run(
        owner_client, Contact, "add_tags", shown, {"names": "vip"}, query=query, select_across=True
    )

    assert messages(response) == ["Queued 3 tag changes (follow their progress)."]
    assert {op.target_id for op in operations("add_tags")} == {c.pk for c in at_bony}
    assert len(rsps.calls) == 3


def test_it_neither_offers_nor_runs_tag_actions_for_staff_without_the_permission(
    bony: VendorAccount, rsps
) -> None:
    contact = ContactFactory(account=bony)
    _, client = staff_client("view_contact")

    assert action_choices(client, Contact) == []
    apply(client, Contact, "add_tags", [contact.pk], {"names": "vip"})

    assert not Operation.objects.exists()


def test_it_lets_staff_with_only_the_tag_permission_tag_but_not_push(
    bony: VendorAccount, rsps
) -> None:
    contact = ContactFactory(account=bony, vendor_id="77", vendor_snapshot={})
    user, client = staff_client("view_contact", "tag_contact")
    rsps.post(f"{BONY}/contact/77/tags", json=BONY_OK)

    assert action_choices(client, Contact) == ["add_tags", "remove_tags"]
    crafted = apply(client, Contact, "push_to_vendor", [contact.pk])
    assert messages(crafted) == ["No action selected."]
    assert not Operation.objects.exists()

    run(client, Contact, "add_tags", [contact.pk], {"names": "vip"})

    op = Operation.objects.get()
    assert (op.action, op.state, op.actor) == ("add_tags", "succeeded", user)


def test_it_sends_nothing_to_an_inactive_account(owner_client: Client, rsps) -> None:
    switched_off = BonyAccountFactory(name="Old channel", is_active=False)
    contact = ContactFactory(account=switched_off, vendor_id="1776025372480910")

    response = run(owner_client, Contact, "add_tags", [contact.pk], {"names": "vip"})

    assert messages(response) == [
        f"Nothing queued; 1 skipped: {contact} — the account Old channel is inactive."
    ]
    assert not Operation.objects.exists()
    assert len(rsps.calls) == 0
