"""Rate limits and injected faults, as a client on the other end of the socket sees them."""

from __future__ import annotations

import pytest
import requests

from connectors.sandbox.faults import scripted_from_json
from connectors.sandbox.seed import BONY_CONTACT_ID
from connectors.sandbox.testing import SandboxHandle, running_sandbox
from tests.connectors.sandbox.conftest import VendorSession

REPLY = {"body": "Odpowiedź", "user_login": "agent.demo"}


def reply_count(sandbox: SandboxHandle) -> int:
    return len(sandbox.state.thulium.tickets[1].messages)


def test_it_answers_429_with_retry_after_once_the_limit_is_spent(
    helpcrunch: VendorSession, sandbox: SandboxHandle
) -> None:
    sandbox.set_limits(helpcrunch=3)

    statuses = [helpcrunch.get("/agents").status_code for _ in range(4)]
    limited = helpcrunch.get("/agents")

    assert statuses == [200, 200, 200, 429]
    assert limited.json() == {
        "errors": [
            {"code": "invalid_request", "message": "Invalid request"},
            {"code": "too_many_requests", "message": "Too many requests"},
        ]
    }
    assert 1 <= int(limited.headers["Retry-After"]) <= 60


def test_it_counts_limits_per_credential(sandbox: SandboxHandle) -> None:
    sandbox.set_limits(bony=2)
    messenger, viber = VendorSession(sandbox.bony_url), VendorSession(sandbox.bony_url)
    messenger.headers["Authorization"] = "Bearer sandbox"
    viber.headers["Authorization"] = "Bearer sandbox-viber"

    spent = [messenger.get("/contact/1").status_code for _ in range(3)]

    assert spent == [404, 404, 429]
    assert messenger.get("/contact/1").json() == {
        "status": "error",
        "message": "Too many requests",
        "data": [],
    }
    assert viber.get("/contact/1").status_code == 404


def test_it_leaves_thulium_unlimited_by_default(thulium: VendorSession) -> None:
    assert {thulium.get("/agents").status_code for _ in range(150)} == {200}


def test_it_answers_scripted_503s_without_performing_the_request(
    thulium: VendorSession, sandbox: SandboxHandle
) -> None:
    sandbox.inject("error", vendor="thulium", method="POST", path_prefix="/tickets/", times=2)

    first = thulium.post("/tickets/1/agent_response", json=REPLY)
    second = thulium.post("/tickets/1/agent_response", json=REPLY)
    unaffected = thulium.get("/tickets/1")
    third = thulium.post("/tickets/1/agent_response", json=REPLY)

    assert [first.status_code, second.status_code] == [503, 503]
    assert first.headers["Content-Type"].startswith("text/html")
    assert unaffected.status_code == 200
    assert third.status_code == 200
    assert [r["status"] for r in sandbox.received("thulium")] == [503, 503, 200, 200]
    assert reply_count(sandbox) == 4


def test_it_answers_late_after_performing_a_slow_request(
    thulium: VendorSession, sandbox: SandboxHandle
) -> None:
    sandbox.inject("slow", vendor="thulium", seconds=1.0)

    with pytest.raises(requests.exceptions.ReadTimeout):
        thulium.post("/tickets/1/agent_response", json=REPLY, timeout=0.3)

    assert reply_count(sandbox) == 4
    assert sandbox.received("thulium")[-1]["fault"] == "slow"


def test_it_drops_the_connection_without_performing_the_request(
    helpcrunch: VendorSession, sandbox: SandboxHandle
) -> None:
    sandbox.inject("drop", vendor="helpcrunch")

    with pytest.raises(requests.exceptions.ConnectionError):
        helpcrunch.post("/messages", json={"chat": 1, "text": "Привіт"})

    assert len(sandbox.state.helpcrunch.chats[1].messages) == 4
    assert helpcrunch.get("/chats/1/messages").json()["total"] == 4


def test_it_drops_the_connection_after_performing_the_write(
    bony: VendorSession, sandbox: SandboxHandle
) -> None:
    sandbox.inject("drop_after_write", vendor="bony", method="POST", path_prefix="/contact")

    with pytest.raises(requests.exceptions.ConnectionError):
        bony.post(f"/contact/{BONY_CONTACT_ID}/tags", json={"tags": ["Perdido"]})

    assert "Perdido" in sandbox.state.bony["sandbox"].contacts[BONY_CONTACT_ID].tags
    record = sandbox.received("bony")[-1]
    assert record["status"] is None
    assert record["fault"] == "drop_after_write"
    assert bony.get(f"/contact/{BONY_CONTACT_ID}").status_code == 200


def test_it_answers_a_scripted_429_in_the_vendors_format(
    bony: VendorSession, sandbox: SandboxHandle
) -> None:
    sandbox.inject("rate_limit", vendor="bony", retry_after=7)

    response = bony.get(f"/contact/{BONY_CONTACT_ID}")

    assert response.status_code == 429
    assert response.headers["Retry-After"] == "7"
    assert response.json()["message"] == "Too many requests"


def test_it_refuses_one_path_in_each_vendors_own_error_format(
    sandbox: SandboxHandle, bony: VendorSession, helpcrunch: VendorSession, thulium: VendorSession
) -> None:
    sandbox.inject("refuse", vendor="bony", path_prefix=f"/contact/{BONY_CONTACT_ID}")
    sandbox.inject("refuse", vendor="helpcrunch", status=400, message="Chat is archived.")
    sandbox.inject("refuse", vendor="thulium", message="Ticket is locked.")

    refused = bony.get(f"/contact/{BONY_CONTACT_ID}")
    archived = helpcrunch.get("/chats/1/messages")
    locked = thulium.get("/tickets/1")

    assert refused.status_code == 422
    assert refused.json() == {"status": "error", "message": "Unprocessable Entity", "data": []}
    assert bony.get(f"/contact/{BONY_CONTACT_ID}").status_code == 200  # once, as scripted
    assert archived.status_code == 400
    assert "Chat is archived." in [e["message"] for e in archived.json()["errors"]]
    assert locked.status_code == 422
    assert [e["message"] for e in locked.json()["errors"]] == ["Ticket is locked."]
    assert [r["fault"] for r in sandbox.received("thulium")] == ["refuse"]


def test_it_takes_only_a_4xx_for_a_refusal() -> None:
    with pytest.raises(ValueError, match="4xx"):
        scripted_from_json({"kind": "refuse", "status": 503})
    assert scripted_from_json({"kind": "refuse"}).fault.status == 422


def test_it_rolls_fault_rates_the_same_way_after_a_reset(
    helpcrunch: VendorSession, sandbox: SandboxHandle
) -> None:
    def run() -> list[int]:
        sandbox.set_rates(error=0.3, rate_limit=0.2, vendors=["helpcrunch"])
        return [helpcrunch.get("/agents").status_code for _ in range(30)]

    first = run()
    sandbox.reset()
    second = run()

    assert first == second
    assert {200, 503, 429} <= set(first)


def test_it_applies_fault_rates_only_to_the_vendors_named(
    thulium: VendorSession, sandbox: SandboxHandle
) -> None:
    sandbox.set_rates(error=1.0, error_status=502, vendors=["bony"])

    assert thulium.get("/agents").status_code == 200
    bony = VendorSession(sandbox.bony_url)
    bony.headers["Authorization"] = "Bearer sandbox"
    assert bony.get(f"/contact/{BONY_CONTACT_ID}").status_code == 502
    sandbox.clear_faults()
    assert bony.get(f"/contact/{BONY_CONTACT_ID}").status_code == 200


def test_it_takes_limits_and_rates_as_options() -> None:
    with running_sandbox(limits={"thulium": 1}, contacts=5) as sandbox:
        thulium = VendorSession(sandbox.thulium_url)
        thulium.auth = ("sandbox", "sandbox")

        assert [thulium.get("/agents").status_code for _ in range(2)] == [200, 429]
        assert len(sandbox.state.thulium.customers) == 5
        sandbox.reset()
        assert thulium.get("/agents").status_code == 200
