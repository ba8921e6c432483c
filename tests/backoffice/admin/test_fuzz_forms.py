"""Every admin action, fed random input through the changelist: never a server error, and a form
that is refused queues nothing.

Hypothesis posts random text (any Unicode but lone surrogates, NUL included), strings of up to
a megabyte, numbers out of any range, malformed dates, several values for one field, missing
fields, unknown fields and garbled selections, as the owner through the test client (which
raises any exception a view lets escape, so a would-be 500 fails the test). The targets live in
the vendor sandbox, so a form that is accepted queues operations that really run.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Model
from django.http import HttpResponse
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backoffice.models import (
    AgentIdentity,
    ChatConversation,
    ChatMessage,
    Contact,
    Operation,
    OperationState,
    Tag,
    Ticket,
    TicketMessage,
    User,
    VendorAccount,
)
from tests.backoffice.admin.flow import changelist, messages
from tests.factories import (
    AgentIdentityFactory,
    ChatConversationFactory,
    ContactFactory,
    OperationFactory,
    TicketFactory,
)

pytestmark = pytest.mark.django_db

FUZZ = settings(
    max_examples=30,
    deadline=None,
    database=None,  # nothing written to the work tree
    # The fixtures' rows are meant to be shared by every example: the examples only add rows.
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
    ],
)

# Any character a browser could send (lone surrogates cannot be encoded in a request at all).
TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=120)
HUGE = st.builds(
    lambda char, size: char * size,
    st.sampled_from(["x", "ż", "😀", "\x00", "<", "9", " ", "\u202e"]),
    st.sampled_from([10_001, 100_001, 400_000, 1_000_000]),
)
NUMBERS = st.one_of(
    st.integers(min_value=-(10**40), max_value=10**40),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(["1e999", "0x10", "٣", "1_000", "  7  ", "-0", "2147483648"]),
    st.builds(lambda n: "9" * n, st.just(5_000)),  # past Python's int() digit limit
).map(str)
DATES = st.one_of(
    st.sampled_from(
        [
            "0000-00-00T00:00",
            "0001-01-01T00:00",
            "1999-12-31T23:59",
            "2024-02-30T10:00",
            "2024-13-01T00:00",
            "2024-01-01T25:61",
            "9999-12-31T23:59",
            "2024-01-01T00:00:00+99:00",
            "-1-01-01T00:00",
            "2024-03-31T02:30",  # a time that does not exist in Warsaw (the clocks go forward)
            "now",
        ]
    ),
    st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31)).map(
        lambda d: d.isoformat(timespec="minutes")
    ),
    st.text("0123456789-:T .", max_size=25),
)
VALUE = st.one_of(TEXT, HUGE, NUMBERS, DATES)
JUNK = st.one_of(VALUE, st.lists(VALUE, max_size=4))
EXTRA_FIELDS = st.dictionaries(st.text("abcdefghij_", min_size=1, max_size=8), JUNK, max_size=3)


def field(*valid: Any) -> st.SearchStrategy[Any]:
    """A form field's value: often one a person would give, otherwise anything at all."""
    return st.one_of(st.sampled_from(valid), JUNK) if valid else JUNK


def selection(pks: list[int]) -> st.SearchStrategy[list[str]]:
    """The ticked rows: real ones, mixed now and then with ids that are not ids."""
    real = st.lists(st.sampled_from([str(pk) for pk in pks]), min_size=1, max_size=len(pks))
    garbled = st.lists(st.one_of(NUMBERS, TEXT), min_size=1, max_size=3)
    return st.one_of(real, real, real, st.builds(lambda a, b: a + b, real, garbled), garbled)


def post(
    client: Client,
    model: type[Model],
    action: str,
    selected: list[str],
    fields: Mapping[str, Any],
    *,
    apply: bool,
    select_across: Any = "0",
) -> HttpResponse:
    data: dict[str, Any] = {**fields}
    data.update({"action": action, "_selected_action": selected, "select_across": select_across})
    if apply:
        data["apply"] = "Apply"
    else:
        data["index"] = "0"
    response: HttpResponse = client.post(changelist(model), data)
    return response


def check(response: HttpResponse, *, queued_before: int) -> None:
    """No error page; a refused form, or a selection that was not understood, queues nothing.

    400 is Django refusing a post over DATA_UPLOAD_MAX_MEMORY_SIZE before any view runs."""
    assert response.status_code in (200, 302, 400), response.status_code
    context = response.context
    form = context.get("form") if context is not None else None
    if response.status_code != 302 or (form is not None and form.errors):
        assert Operation.objects.count() == queued_before


def fuzz_action(
    client: Client,
    model: type[Model],
    action: str,
    pks: list[int],
    form_fields: Callable[[], st.SearchStrategy[dict[str, Any]]],
) -> Callable[[], None]:
    """A Hypothesis test of one action: random form fields, extra fields and selection."""

    @FUZZ
    @given(
        fields=form_fields(),
        extra=EXTRA_FIELDS,
        selected=selection(pks),
        apply=st.booleans(),
        select_across=st.one_of(st.sampled_from(["0", "1"]), JUNK),
    )
    def run(
        fields: dict[str, Any],
        extra: dict[str, Any],
        selected: list[str],
        apply: bool,
        select_across: Any,
    ) -> None:
        before = Operation.objects.count()
        response = post(
            client,
            model,
            action,
            selected,
            {**extra, **fields},
            apply=apply,
            select_across=select_across,
        )
        check(response, queued_before=before)

    return run


def optional_fields(**strategies: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    """Every field may be missing."""
    return st.fixed_dictionaries({}, optional=strategies)


@pytest.fixture
def owner_at_the_sandbox(
    owner: User,
    thulium_sandbox: VendorAccount,
    helpcrunch_sandbox: VendorAccount,
    bony_sandbox: VendorAccount,
) -> User:
    AgentIdentityFactory(user=owner, account=thulium_sandbox, login="agent.demo")
    AgentIdentityFactory(user=owner, account=helpcrunch_sandbox, login="1")
    return owner


@pytest.fixture
def contacts(owner_at_the_sandbox: User) -> list[int]:
    return [
        ContactFactory(account=account).pk
        for account in VendorAccount.objects.order_by("pk")
        for _ in range(2)
    ]


def test_it_never_fails_on_reply_to_ticket_input(
    owner_client: Client, owner_at_the_sandbox: User, thulium_sandbox: VendorAccount, settings
) -> None:
    settings.THULIUM_ATTACHMENT_MAX_BYTES = 2_000
    tickets = [TicketFactory(account=thulium_sandbox).pk for _ in range(2)]
    files = st.lists(
        st.builds(
            # The suffix keeps a name the test client itself can send (not "", "." or "x/").
            lambda name, size: SimpleUploadedFile(f"{name}.pdf", b"%" * size),
            st.text(st.characters(exclude_categories=["Cs"]), max_size=300),
            st.sampled_from([0, 1, 2_000, 2_001]),
        ),
        max_size=12,
    )
    fields = optional_fields(
        body=field("<p>Dzień dobry</p>", "Thanks!"),
        body_type=field("HTML", "PLAIN"),
        date=field("", "2024-05-01T10:30"),
        attachments=files,
    )
    fuzz_action(owner_client, Ticket, "reply_to_ticket", tickets, lambda: fields)()


@pytest.mark.parametrize("action", ["add_tags", "remove_tags"])
def test_it_never_fails_on_tag_input(
    owner_client: Client, contacts: list[int], action: str
) -> None:
    fields = optional_fields(
        names=field("vip", "vip, reklamacja", "a,,b", " , ", ",".join(["t"] * 60)),
        existing=field("vip", "tag-1"),
    )
    fuzz_action(owner_client, Contact, action, contacts, lambda: fields)()


def test_it_never_fails_on_push_to_vendor_input(owner_client: Client, contacts: list[int]) -> None:
    Contact.objects.update(first_name="Changed")
    fuzz_action(owner_client, Contact, "push_to_vendor", contacts, lambda: optional_fields())()


def test_it_never_fails_on_feed_record_input(owner_client: Client, contacts: list[int]) -> None:
    fields = optional_fields(
        message=field("Rozmowa telefoniczna"),
        author=field("customer", "agent", "bot"),
        time=field("", "2024-05-01T10:30"),
    )
    fuzz_action(owner_client, Contact, "add_feed_record", contacts, lambda: fields)()


def test_it_never_fails_on_start_chat_input(owner_client: Client, contacts: list[int]) -> None:
    fields = optional_fields(chat_queue_id=field("3", "1", "2147483647", "2147483648", "0"))
    fuzz_action(owner_client, Contact, "start_chat", contacts, lambda: fields)()


def test_it_never_fails_on_send_message_input(
    owner_client: Client,
    owner_at_the_sandbox: User,
    helpcrunch_sandbox: VendorAccount,
    bony_sandbox: VendorAccount,
) -> None:
    conversations = [
        ChatConversationFactory(account=account).pk
        for account in (helpcrunch_sandbox, bony_sandbox)
        for _ in range(2)
    ]
    fields = optional_fields(
        text=field("Dzień dobry!", "x" * 2_001),
        sender=field("agent", "contact", "note"),
        markdown_text=field("", "**Dzień dobry!**"),
    )
    fuzz_action(owner_client, ChatConversation, "send_message", conversations, lambda: fields)()


def test_it_never_fails_on_test_connection_input(
    owner_client: Client, owner_at_the_sandbox: User
) -> None:
    accounts = list(VendorAccount.objects.values_list("pk", flat=True))
    fuzz_action(
        owner_client, VendorAccount, "test_connection", accounts, lambda: optional_fields()
    )()


@pytest.mark.parametrize("action", ["retry_operations", "dismiss_operations"])
def test_it_never_fails_on_operation_input_nor_leaves_the_site(
    owner_client: Client, owner: User, action: str
) -> None:
    states = [OperationState.FAILED, OperationState.UNKNOWN, OperationState.SUCCEEDED]
    # Failed operations with no account credentials to retry with: nothing leaves the machine.
    operations = [
        OperationFactory(actor=owner, state=state, account__api_secret="").pk for state in states
    ]
    return_to = field(
        "/admin/backoffice/operation/1/change/",
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example/",
        "\\\\evil.example",
        "javascript:alert(1)",
        "http://testserver@evil.example/",
        "/admin/\nLocation: https://evil.example/",
    )

    @FUZZ
    @given(
        return_to=return_to,
        extra=EXTRA_FIELDS,
        selected=selection(operations),
        apply=st.booleans(),
    )
    def run(return_to: Any, extra: dict[str, Any], selected: list[str], apply: bool) -> None:
        response = post(
            owner_client,
            Operation,
            action,
            selected,
            {**extra, "_return_to": return_to},
            apply=apply,
        )
        # 400: a post over DATA_UPLOAD_MAX_MEMORY_SIZE, which Django refuses before any view.
        assert response.status_code in (200, 302, 400), response.status_code
        if response.status_code == 302:
            location = response["Location"]
            # Back to a page of this site, or to the list: never anywhere else.
            assert location.startswith("/"), location
            assert not location.startswith(("//", "/\\")), location
            assert "\n" not in location

    run()


# What the fuzzing found, kept as plain tests.


@pytest.mark.parametrize(
    ("model", "action"),
    [
        (ChatConversation, "send_message"),
        (VendorAccount, "test_connection"),
        (Operation, "retry_operations"),
        (Tag, "delete_selected"),
        (TicketMessage, "delete_selected"),
        (ChatMessage, "delete_selected"),
        (AgentIdentity, "delete_selected"),
        (User, "delete_selected"),
    ],
)
def test_it_answers_a_garbled_selection_with_a_message(
    owner_client: Client, model: type[Model], action: str
) -> None:
    response = owner_client.post(
        changelist(model),
        {"action": action, "_selected_action": ["0.0", "abc"], "index": "0"},
        follow=True,
    )

    assert response.status_code == 200
    assert messages(response) == ["The selection was not understood; select the rows again."]


def test_it_returns_from_an_operation_action_only_to_a_path_on_this_site(
    owner_client: Client, owner: User
) -> None:
    failed = OperationFactory(actor=owner, state=OperationState.FAILED, account__api_secret="")

    response = post(
        owner_client,
        Operation,
        "dismiss_operations",
        [str(failed.pk)],
        {"_return_to": "0"},
        apply=True,
    )

    assert response.status_code == 302
    assert response["Location"] == changelist(Operation)
