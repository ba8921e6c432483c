"""``Hooks``: one value for the recorder, before_send and rate limiter of every client."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable

import pytest
import responses

from connectors.bony import BonyClient
from connectors.helpcrunch import HelpCrunchClient
from connectors.thulium import ThuliumClient
from connectors.transport import BearerAuth, CallRecord, CallStart, Hooks, Transport, hooks_from
from tests.connectors import BASE, TOKEN

THULIUM = "https://your-system-name.thulium.com/api"

# Each client, built from the keyword arguments given; all answer ``check_connection`` with one GET.
Build = Callable[..., ThuliumClient | HelpCrunchClient | BonyClient]
CLIENTS: dict[str, Build] = {
    "thulium": lambda **kw: ThuliumClient(THULIUM, "api_user", "api_pass", **kw),
    "helpcrunch": lambda **kw: HelpCrunchClient("hc-key-1234", **kw),
    "bony": lambda **kw: BonyClient("bony-token-1234", **kw),
}


def _ordered(order: list[str]) -> Hooks:
    """Hooks that note, in ``order``, which of them ran."""
    return Hooks(
        recorder=lambda record: order.append(f"recorder {record.status}"),
        before_send=lambda start: order.append(f"before_send {start.method}"),
        rate_limiter=lambda: order.append("rate_limiter"),
    )


@pytest.mark.parametrize("vendor", CLIENTS)
def test_a_client_built_with_hooks_runs_them_in_order(rsps, vendor):
    order: list[str] = []
    client = CLIENTS[vendor](hooks=_ordered(order))
    rsps.add(responses.GET, re.compile(r"https://.*"), json={"data": []})

    client.check_connection()

    assert len(rsps.calls) == 1
    assert order == ["rate_limiter", "before_send GET", "recorder 200"]


@pytest.mark.parametrize("vendor", CLIENTS)
def test_a_client_hands_its_hooks_object_to_the_transport_unchanged(vendor):
    hooks = _ordered([])

    client = CLIENTS[vendor](hooks=hooks)

    assert client.transport.hooks is hooks


@pytest.mark.parametrize("vendor", CLIENTS)
def test_the_individual_hook_arguments_still_make_the_same_hooks(vendor):
    hooks = _ordered([])

    client = CLIENTS[vendor](
        recorder=hooks.recorder, before_send=hooks.before_send, rate_limiter=hooks.rate_limiter
    )

    assert client.transport.hooks == hooks


@pytest.mark.parametrize("vendor", CLIENTS)
@pytest.mark.parametrize("argument", ["recorder", "before_send", "rate_limiter"])
def test_hooks_and_an_individual_hook_together_are_refused(vendor, argument):
    individual = {argument: getattr(_ordered([]), argument)}
    message = rf"either as hooks= or as individual arguments, not both \(got hooks= and {argument}="

    with pytest.raises(TypeError, match=message):
        CLIENTS[vendor](hooks=Hooks(), **individual)


def test_the_refusal_names_every_individual_hook_given():
    records: list[CallRecord] = []
    starts: list[CallStart] = []

    with pytest.raises(TypeError, match=r"got hooks= and recorder=, before_send=\)$"):
        Transport(
            vendor="bony",
            base_url=BASE,
            auth=BearerAuth(TOKEN),
            hooks=Hooks(),
            recorder=records.append,
            before_send=starts.append,
        )


def test_no_hooks_at_all_is_an_empty_hooks_object():
    assert hooks_from() == Hooks()
    assert hooks_from(None) == Hooks(recorder=None, before_send=None, rate_limiter=None)
    assert BonyClient("bony-token-1234").transport.hooks == Hooks()


def test_a_hooks_object_cannot_be_changed_after_it_is_made():
    hooks = Hooks()

    with pytest.raises(dataclasses.FrozenInstanceError):
        hooks.recorder = print  # type: ignore[misc]
