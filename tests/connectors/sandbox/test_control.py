"""The `/_sandbox/` control and introspection API, the CLI and the server's own behaviour."""

from __future__ import annotations

import json
from collections.abc import Iterator
from urllib.parse import quote

import pytest

from connectors.sandbox.__main__ import main, options_from, parse_args
from connectors.sandbox.core import Sandbox
from connectors.sandbox.seed import BONY_CONTACT_ID, BONY_VIBER_CONTACT_ID
from connectors.sandbox.server import create_server, is_loopback
from connectors.sandbox.testing import SandboxHandle
from tests.connectors.sandbox.conftest import VendorSession


def test_it_records_requests_with_authorization_redacted(
    thulium: VendorSession, bony: VendorSession, control: VendorSession
) -> None:
    thulium.post("/tickets/1/agent_response", json={"body": "Hej", "user_login": "agent.demo"})
    bony.get(f"/contact/{BONY_CONTACT_ID}", params={"x": "1"})

    records = control.get("/requests").json()["requests"]
    only_bony = control.get("/requests", params={"vendor": "bony"}).json()["requests"]

    reply = records[0]
    assert reply["vendor"] == "thulium"
    assert reply["method"] == "POST"
    assert reply["path"] == "/thulium/api/tickets/1/agent_response"
    assert json.loads(reply["body"]) == {"body": "Hej", "user_login": "agent.demo"}
    assert reply["status"] == 200
    assert reply["headers"]["authorization"] == "Basic [redacted]"
    assert reply["headers"]["content-type"] == "application/json"
    assert [r["path"] for r in only_bony] == [f"/bony/api/v1/contact/{BONY_CONTACT_ID}"]
    assert only_bony[0]["query"] == "x=1"
    assert only_bony[0]["headers"]["authorization"] == "Bearer [redacted]"
    assert "sandbox" not in json.dumps(records)
    control.delete("/requests")
    assert control.get("/requests").json() == {"requests": []}


def test_it_resets_to_the_seeded_world(
    thulium: VendorSession, control: VendorSession, sandbox: SandboxHandle
) -> None:
    thulium.post("/tickets/1/agent_response", json={"body": "Hej", "user_login": "agent.demo"})
    sandbox.set_limits(thulium=1)

    summary = control.post("/reset").json()

    assert len(sandbox.state.thulium.tickets[1].messages) == 3
    assert summary["limits"]["thulium"] == 0
    assert sandbox.received() == []
    assert control.post("/reset", json={"contacts": 12}).json()["thulium"]["customers"] == 12
    assert len(sandbox.state.bony["sandbox"].contacts) == 12


def test_it_seeds_the_same_world_from_the_same_seed(sandbox: SandboxHandle) -> None:
    def snapshot() -> list[object]:
        state = sandbox.state
        return [
            [(c.name, c.surname, c.email) for c in state.thulium.customers.values()],
            [(m.text, m.created_at) for c in state.helpcrunch.chats.values() for m in c.messages],
            list(state.bony["sandbox-viber"].contacts),
        ]

    first = snapshot()
    sandbox.reset(seed=2)
    other = snapshot()
    sandbox.reset(seed=1)

    assert snapshot() == first
    assert other != first


def test_it_seeds_fixed_records_and_people_shared_across_vendors(
    control: VendorSession, sandbox: SandboxHandle
) -> None:
    summary = control.get("/state").json()
    state = sandbox.state

    assert summary["thulium"]["agent_login"] == "agent.demo"
    assert {1} <= set(state.thulium.customers) & set(state.thulium.tickets)
    assert 1 in state.thulium.chat_queues
    assert {1} <= set(state.helpcrunch.customers) & set(state.helpcrunch.chats)
    assert 1 in state.helpcrunch.agents
    thulium_emails = {c.email for c in state.thulium.customers.values()}
    helpcrunch_emails = {c.email for c in state.helpcrunch.customers.values()}
    bony_emails = {c.custom_fields["email"] for c in state.bony["sandbox"].contacts.values()}
    assert len(thulium_emails & helpcrunch_emails & bony_emails) >= 3
    assert summary["bony"]["channels"][1] == {
        "token": "sandbox-viber",
        "kind": "viber",
        "contacts": 40,
        "first_contact_id": BONY_VIBER_CONTACT_ID,
    }


def test_it_scripts_faults_and_limits_over_http(
    control: VendorSession, helpcrunch: VendorSession
) -> None:
    pushed = control.post(
        "/faults", json={"push": [{"kind": "error", "status": 500, "vendor": "helpcrunch"}]}
    )
    limits = control.post("/limits", json={"helpcrunch": 2, "window_seconds": 30})

    assert pushed.json()["queue"][0]["status"] == 500
    assert limits.json() == {
        "limits": {"thulium": 0, "helpcrunch": 2, "bony": 100},
        "window_seconds": 30.0,
    }
    assert [helpcrunch.get("/agents").status_code for _ in range(4)] == [500, 200, 200, 429]
    assert control.get("/faults").json()["queue"] == []
    assert control.post("/faults", json={"push": {"kind": "boom"}}).status_code == 400
    assert control.post("/faults", json={"rates": {"error": 2}}).status_code == 400
    assert control.post("/limits", json={"helpcrunch": -1}).status_code == 400
    cleared = control.post("/faults", json={"clear": True, "rates": {"slow": 0.5}}).json()
    assert cleared["rates"]["slow"] == 0.5
    assert control.delete("/faults").json()["rates"]["slow"] == 0.0


def test_it_reads_out_vendor_records(
    control: VendorSession, thulium: VendorSession, viber: VendorSession
) -> None:
    thulium.post("/customers/1/feed_records", json={"type": "ZOWIE", "payload": "[]"})
    started = thulium.post("/chat_conversations/start", params={"chat_queue_id": 1}).json()
    viber_path = quote(BONY_VIBER_CONTACT_ID, safe="")

    customer = control.get("/state/thulium/customers/1").json()
    ticket = control.get("/state/thulium/tickets/1").json()
    conversation = control.get(f"/state/thulium/conversations/{started['conversation_id']}")
    chat = control.get("/state/helpcrunch/chats/1").json()
    contact = control.get(f"/state/bony/sandbox-viber/contacts/{viber_path}").json()

    assert customer["feed_records"][0]["payload"] == "[]"
    assert ticket["messages"][0]["type"] == "MAIL"
    assert conversation.json()["chat_queue_id"] == 1
    assert len(chat["messages"]) == 4
    assert contact["id"] == BONY_VIBER_CONTACT_ID
    assert control.get("/state/helpcrunch/customers/1").json()["id"] == 1
    assert control.get("/state/thulium/tickets/999999").status_code == 404


def test_it_accepts_chunked_bodies(thulium: VendorSession) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"body": "Fragmenty", '
        yield b'"user_login": "agent.demo"}'

    response = thulium.post("/tickets/1/agent_response", data=chunks())

    assert response.status_code == 200
    assert thulium.get("/tickets/1").json()["messages"][-1]["body"] == "Fragmenty"


def test_it_answers_unknown_paths_with_a_hint(sandbox: SandboxHandle) -> None:
    response = VendorSession(sandbox.base_url).get("/nowhere")

    assert response.status_code == 404
    assert "/thulium/api/" in response.json()["message"]


def test_it_refuses_to_bind_a_public_address_unless_told() -> None:
    with pytest.raises(ValueError, match="allow_remote"):
        create_server(Sandbox(), "0.0.0.0", 0)  # noqa: S104 - the point of the test
    assert main(["--host", "0.0.0.0", "--port", "0"]) == 2  # noqa: S104
    assert is_loopback("127.0.0.1")
    assert is_loopback("::1")
    assert is_loopback("::ffff:127.0.0.1")
    assert not is_loopback("10.0.0.1")


def test_it_reads_credentials_limits_and_rates_from_the_command_line() -> None:
    args = parse_args(
        [
            "--bony-token",
            "shop:viber",
            "--bony-token",
            "blog",
            "--helpcrunch-key",
            "k2",
            "--thulium-user",
            "api:secret",
            "--seed-contacts",
            "100",
            "--bony-rate",
            "0",
            "--error-rate",
            "0.1",
            "--429-rate",
            "0.05",
            "--slow-seconds",
            "3",
        ]
    )

    options = options_from(args)

    assert options.bony_tokens == {
        "sandbox": "messenger",
        "sandbox-viber": "viber",
        "shop": "viber",
        "blog": "messenger",
    }
    assert options.helpcrunch_keys == ("sandbox", "k2")
    assert options.thulium_users == {"sandbox": "sandbox", "api": "secret"}
    assert options.contacts == 100
    assert options.limits == {"thulium": 0, "helpcrunch": 120, "bony": 0}
    assert (options.rates.error, options.rates.rate_limit, options.rates.slow_seconds) == (
        0.1,
        0.05,
        3.0,
    )
