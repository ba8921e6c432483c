"""Delivery itself: retries with backoff, the journal, waiting for an empty queue, settings, the
delivery faults, and that neither the API request nor the state lock waits for a receiver."""

from __future__ import annotations

import hashlib
import itertools
import socket
import time

import pytest
import requests

from connectors.sandbox.__main__ import options_from, parse_args
from tests.connectors.sandbox.webhooks.conftest import ATTEMPTS, BACKOFF, HOLD
from tests.connectors.sandbox.webhooks.receiver import (
    HOOK_PASSWORD,
    HOOK_USER,
    SIGNING_KEY,
    Received,
    subscribe_bony,
    subscribe_helpcrunch,
    subscribe_thulium,
)


def customer_writes(control, text: str = "Добрий день", chat: int = 1) -> None:
    response = control.post(f"/simulate/helpcrunch/chats/{chat}/messages", json={"text": text})
    assert response.status_code == 200, response.text


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# --- retries --------------------------------------------------------------------------------


def test_a_refused_delivery_is_redelivered_with_attempts_counted(sandbox, control, receiver):
    subscribe_helpcrunch(control, receiver, "message.chat.customer")
    receiver.statuses.extend([500])

    customer_writes(control)

    sandbox.wait_for_deliveries()
    first, second = receiver.wait_for(2)
    assert first.signed_with(SIGNING_KEY)
    assert second.signed_with(SIGNING_KEY)
    a, b = first.json(), second.json()
    assert (a["attempts"], b["attempts"]) == (0, 1)
    assert a["id"] == b["id"]
    assert a["createdAt"] == b["createdAt"]
    assert b["lastAttemptAt"] >= a["lastAttemptAt"]
    assert a["eventData"] == b["eventData"]
    journal = control.get("/deliveries").json()["deliveries"]
    assert [(d["attempt"], d["status"], d["final"], d["fault"]) for d in journal] == [
        (1, 500, False, None),
        (2, 200, True, None),
    ]
    assert journal[0]["delivery"] == journal[1]["delivery"]
    assert journal[0]["response"] == '{"ok": false}'
    assert journal[1]["body"] == second.body.decode()
    assert journal[1]["event_id"] == a["id"]


def test_a_receiver_that_is_down_gets_every_attempt_then_none(sandbox, control):
    url = f"http://127.0.0.1:{free_port()}/hooks"
    control.put(
        "/webhooks/helpcrunch",
        json={"signing_key": SIGNING_KEY, "urls": {"message.chat.customer": url}},
    )

    customer_writes(control)

    sandbox.wait_for_deliveries()
    journal = sandbox.deliveries()
    assert [d["attempt"] for d in journal] == list(range(1, ATTEMPTS + 1))
    assert all(d["status"] is None for d in journal)
    assert "ConnectionRefusedError" in str(journal[0]["error"])
    assert [d["final"] for d in journal] == [False] * (ATTEMPTS - 1) + [True]
    gaps = [b["timestamp"] - a["timestamp"] for a, b in itertools.pairwise(journal)]
    assert gaps[0] >= BACKOFF * 0.9
    assert gaps[1] >= 2 * BACKOFF * 0.9  # doubled


def test_a_redirect_is_not_followed_and_counts_as_a_failure(sandbox, control, receiver):
    subscribe_helpcrunch(control, receiver, "message.chat.customer")
    receiver.statuses.extend([302, 302, 302])

    customer_writes(control)

    sandbox.wait_for_deliveries()
    assert len(receiver.requests) == ATTEMPTS
    assert [d["status"] for d in sandbox.deliveries()] == [302] * ATTEMPTS


def test_reset_drops_what_is_waiting_for_a_retry(sandbox, control, receiver):
    subscribe_helpcrunch(control, receiver, "message.chat.customer")
    control.post("/deliveries/settings", json={"backoff_seconds": 0.5})
    receiver.statuses.extend([500])

    customer_writes(control)
    receiver.wait_for(1)
    control.post("/reset")

    assert control.get("/deliveries", params={"wait": 1, "timeout": 2}).json()["idle"] is True
    time.sleep(0.7)
    assert len(receiver.requests) == 1
    assert control.get("/deliveries").json()["deliveries"] == []


# --- never blocking -------------------------------------------------------------------------


def test_a_slow_receiver_holds_up_neither_the_api_request_nor_other_calls(
    sandbox, control, helpcrunch, receiver
):
    subscribe_helpcrunch(control, receiver, "message.chat.agent")

    def slow(_: Received) -> int:
        time.sleep(1.0)
        return 200

    receiver.answer = slow
    started = time.monotonic()
    sent = helpcrunch.post("/messages", json={"chat": 1, "text": "Hej", "agent": 1})
    receiver.wait_for(1)  # the delivery is under way, its receiver still thinking
    read = helpcrunch.get("/customers/1")
    elapsed = time.monotonic() - started

    assert sent.status_code == read.status_code == 200
    assert elapsed < 0.8
    waited = control.get("/deliveries", params={"wait": 1, "timeout": 5}).json()
    assert waited["idle"] is True
    assert [d["status"] for d in waited["deliveries"]] == [200]


def test_a_receiver_may_call_the_vendor_back_while_it_answers(sandbox, control, receiver):
    subscribe_helpcrunch(control, receiver, "message.chat.customer")
    seen: list[str] = []

    def read_back(delivery: Received) -> int:
        chat_id = delivery.json()["eventData"]["chat_id"]
        response = requests.get(
            f"{sandbox.helpcrunch_url}/chats/{chat_id}/messages",
            headers={"Authorization": "Bearer sandbox"},
            timeout=5,
        )
        seen.append(response.json()["data"][0]["text"])
        return response.status_code

    receiver.answer = read_back

    customer_writes(control, "Чи є новини?")

    sandbox.wait_for_deliveries()
    assert seen == ["Чи є новини?"]
    assert [d["status"] for d in sandbox.deliveries()] == [200]


# --- the journal, waiting, settings -----------------------------------------------------------


def test_the_journal_filters_and_forgets(sandbox, control, thulium, receiver):
    subscribe_helpcrunch(control, receiver, "message.chat.customer")
    subscribe_thulium(thulium, receiver, "TICKET_UPDATED")
    customer_writes(control)
    control.patch("/simulate/thulium/tickets/1", json={"status_id": 3})

    every = control.get("/deliveries", params={"wait": 1}).json()["deliveries"]
    only = control.get("/deliveries", params={"vendor": "thulium"}).json()["deliveries"]
    by_event = control.get("/deliveries", params={"event": "message.chat.customer"}).json()

    assert sorted(d["vendor"] for d in every) == ["helpcrunch", "thulium"]
    assert [d["event"] for d in only] == ["TICKET_UPDATED"]
    assert only[0]["headers"]["authorization"] == "Basic [redacted]"
    assert HOOK_PASSWORD not in str(every)
    assert only[0]["url"] == receiver.url("/hooks/thulium")
    assert [d["vendor"] for d in by_event["deliveries"]] == ["helpcrunch"]
    assert len(control.get("/deliveries", params={"limit": 1}).json()["deliveries"]) == 1
    assert control.get("/deliveries", params={"vendor": "x"}).status_code == 400
    assert control.get("/deliveries", params={"wait": 1, "timeout": "999"}).status_code == 400
    assert control.delete("/deliveries").json() == {"deliveries": [], "pending": 0}
    assert control.get("/deliveries").json()["deliveries"] == []


def test_delivery_settings_are_read_changed_checked_and_reset(sandbox, control):
    assert control.get("/deliveries/settings").json() == {
        "attempts": ATTEMPTS,
        "backoff_seconds": BACKOFF,
        "timeout_seconds": 2.0,
        "hold_seconds": HOLD,
    }

    changed = control.post("/deliveries/settings", json={"attempts": 2, "backoff_seconds": 0})

    assert changed.json()["attempts"] == 2
    assert changed.json()["backoff_seconds"] == 0.0
    for bad, error in [
        ({"attempts": 0}, "attempts must be an integer from 1 to 20"),
        ({"attempts": 2.5}, "attempts must be an integer"),
        ({"timeout_seconds": 0}, "timeout_seconds must be a number from 0.1 to 60"),
        ({"retries": 1}, "unknown keys: retries"),
    ]:
        response = control.post("/deliveries/settings", json=bad)
        assert response.status_code == 400
        assert error in response.json()["error"]
    assert control.get("/deliveries/settings").json()["attempts"] == 2
    control.post("/reset")
    assert control.get("/deliveries/settings").json()["attempts"] == ATTEMPTS


def test_the_command_line_sets_the_retries():
    options = options_from(
        parse_args(
            ["--delivery-attempts", "7", "--delivery-backoff", "0.5", "--delivery-timeout", "3"]
        )
    )

    assert (options.delivery.attempts, options.delivery.backoff, options.delivery.timeout) == (
        7,
        0.5,
        3.0,
    )
    with pytest.raises(SystemExit):
        parse_args(["--delivery-attempts", "0"])


# --- faults -----------------------------------------------------------------------------------


def test_a_duplicated_event_arrives_twice_byte_for_byte(sandbox, control, thulium, receiver):
    subscribe_helpcrunch(control, receiver, "message.chat.customer")
    subscribe_thulium(thulium, receiver, "TICKET_UPDATED")
    pushed = control.post(
        "/delivery_faults",
        json={
            "push": [
                {"kind": "duplicate", "vendor": "helpcrunch"},
                {"kind": "duplicate", "event": "TICKET_UPDATED"},
            ]
        },
    )
    assert [f["kind"] for f in pushed.json()["queue"]] == ["duplicate", "duplicate"]

    customer_writes(control)
    control.patch("/simulate/thulium/tickets/1", json={"status_id": 3})
    customer_writes(control, "no fault left")

    sandbox.wait_for_deliveries()
    received = receiver.wait_for(5)
    hc = [r for r in received if "x-helpcrunch-signature" in r.headers]
    th = [r for r in received if "x-helpcrunch-signature" not in r.headers]
    assert hc[0].body == hc[1].body
    assert hc[0].headers["x-helpcrunch-signature"] == hc[1].headers["x-helpcrunch-signature"]
    assert hc[2].json()["eventData"]["message"]["text"] == "no fault left"
    assert len(th) == 2
    assert hashlib.sha256(th[0].body).digest() == hashlib.sha256(th[1].body).digest()
    assert th[1].basic() == (HOOK_USER, HOOK_PASSWORD)
    faults = [d["fault"] for d in sandbox.deliveries("helpcrunch")]
    assert faults == [None, "duplicate", None]
    assert control.get("/delivery_faults").json()["queue"] == []


def test_an_event_held_back_arrives_after_the_next_one(sandbox, control, receiver):
    subscribe_helpcrunch(control, receiver, "message.chat.customer")
    control.post("/delivery_faults", json={"push": {"kind": "out_of_order"}})

    customer_writes(control, "first")
    customer_writes(control, "second")

    sandbox.wait_for_deliveries()
    bodies = [b for b in receiver.bodies()]
    assert [b["eventData"]["message"]["text"] for b in bodies] == ["second", "first"]
    assert bodies[1]["createdAt"] <= bodies[0]["createdAt"]
    assert [d["fault"] for d in sandbox.deliveries()] == [None, "out_of_order"]


def test_an_event_held_back_alone_goes_once_the_hold_is_over(sandbox, control, receiver):
    subscribe_bony(control, receiver, "message.received")
    sandbox.inject_delivery_fault("out_of_order", vendor="bony")
    started = time.monotonic()

    control.post(
        "/simulate/bony/sandbox/contacts/1776025372480910/messages", json={"text": "alone"}
    )

    receiver.wait_for(1, timeout=HOLD + 2)
    assert time.monotonic() - started >= HOLD * 0.9
    assert receiver.bodies()[0]["message"]["text"] == "alone"


def test_a_bad_helpcrunch_signature_is_refused_then_redelivered_signed(sandbox, control, receiver):
    subscribe_helpcrunch(control, receiver, "message.chat.customer")
    receiver.answer = lambda delivery: 200 if delivery.signed_with(SIGNING_KEY) else 401
    control.post("/delivery_faults", json={"push": [{"kind": "bad_signature"}]})

    customer_writes(control)

    sandbox.wait_for_deliveries()
    first, second = receiver.wait_for(2)
    assert not first.signed_with(SIGNING_KEY)
    assert len(first.headers["x-helpcrunch-signature"]) == 40
    assert second.signed_with(SIGNING_KEY)
    assert (first.json()["attempts"], second.json()["attempts"]) == (0, 1)
    journal = sandbox.deliveries()
    assert [(d["status"], d["fault"]) for d in journal] == [(401, "bad_signature"), (200, None)]


def test_a_wrong_thulium_password_is_refused_then_redelivered_right(
    sandbox, thulium, control, receiver
):
    subscribe_thulium(thulium, receiver, "TICKET_UPDATED")
    receiver.answer = lambda d: 200 if d.basic() == (HOOK_USER, HOOK_PASSWORD) else 401
    sandbox.inject_delivery_fault("bad_signature", vendor="thulium")

    control.patch("/simulate/thulium/tickets/1", json={"status_id": 2})

    sandbox.wait_for_deliveries()
    first, second = receiver.wait_for(2)
    assert first.basic() is not None
    assert first.basic()[0] == HOOK_USER
    assert first.basic() != (HOOK_USER, HOOK_PASSWORD)
    assert second.basic() == (HOOK_USER, HOOK_PASSWORD)
    assert first.body == second.body  # Thulium's body knows nothing of attempts


def test_fault_rates_apply_to_the_vendors_named(sandbox, control, bony, receiver):
    subscribe_bony(control, receiver, "contact.updated")
    subscribe_helpcrunch(control, receiver, "message.chat.customer")
    rates = control.post("/delivery_faults", json={"rates": {"duplicate": 1, "vendors": ["bony"]}})
    assert rates.json()["rates"] == {
        "duplicate": 1.0,
        "out_of_order": 0.0,
        "bad_signature": 0.0,
        "vendors": ["bony"],
    }

    bony.put("/contact/1776025372480910", json={"custom_fields": [{"name": "a", "value": 1}]})
    customer_writes(control)

    sandbox.wait_for_deliveries()
    paths = sorted(r.path.split("/")[2] for r in receiver.requests)
    assert paths == ["bony", "bony", "helpcrunch"]
    assert control.delete("/delivery_faults").json()["rates"]["duplicate"] == 0.0


@pytest.mark.parametrize(
    ("payload", "error"),
    [
        ({"push": [{"kind": "bad_signature", "vendor": "bony"}]}, "Bony deliveries carry no"),
        (
            {"push": [{"kind": "drop"}]},
            "kind must be one of duplicate, out_of_order, bad_signature",
        ),
        ({"push": [{"kind": "duplicate", "times": 0}]}, "times must be an integer, at least 1"),
        ({"push": [{"kind": "duplicate", "vendor": "x"}]}, "vendor must be one of"),
        ({"rates": {"duplicate": 2}}, "duplicate is a probability"),
        ({"rates": {"error": 0.5}}, "unknown keys: error"),
        ({"clear": True, "rates": {"vendors": ["x"]}}, "vendors must be a list"),
    ],
)
def test_bad_delivery_faults_are_refused_and_change_nothing(sandbox, control, payload, error):
    control.post("/delivery_faults", json={"push": [{"kind": "duplicate", "times": 2}]})
    before = control.get("/delivery_faults").json()

    response = control.post("/delivery_faults", json=payload)

    assert response.status_code == 400
    assert error in response.json()["error"]
    assert control.get("/delivery_faults").json() == before
