"""Single list pages for a sync that stops and resumes at an offset: the exact requests, and
malformed items reported instead of raised."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
import responses

from connectors.bony import BonyClient
from connectors.errors import TransportError
from connectors.helpcrunch import HelpCrunchClient
from connectors.pagination import Malformed
from connectors.thulium import ThuliumClient

THULIUM = "https://acme.thulium.com/api"
HC = "https://api.helpcrunch.com/v1"
BONY = "https://app.bony.chat/api/v1"


def test_it_asks_thulium_for_changes_since_a_moment_in_the_systems_local_time(
    rsps: responses.RequestsMock,
) -> None:
    rsps.get(
        f"{THULIUM}/customers?include_custom_fields=true&date_from=2026-06-01+11%3A00"
        "&limit=100&offset=200",
        json=[{"customer_id": 7, "name": "Jan"}, {"name": "no id"}],
    )
    client = ThuliumClient(THULIUM, "u", "p", tz=ZoneInfo("Europe/Warsaw"))

    page = client.customers_page(offset=200, date_from=datetime(2026, 6, 1, 9, 0, tzinfo=UTC))

    assert [c.customer_id for c in page.items] == [7]
    assert page.malformed == [
        Malformed(None, "unexpected response from the vendor: no numeric customer_id or id")
    ]
    assert (page.next_offset, page.is_last) == (202, True)


def test_it_reads_helpcrunch_customers_seen_since_through_the_search(
    rsps: responses.RequestsMock,
) -> None:
    rsps.post(f"{HC}/customers/search", json={"data": [{"id": 3}], "total": 101})
    client = HelpCrunchClient("key", base_url=HC)

    page = client.customers_page(offset=100, limit=100, last_seen_from=1780300800.913)

    assert json.loads(rsps.calls[0].request.body) == {
        "filter": [{"field": "customers.lastSeen", "operator": ">=", "value": 1780300800}],
        "comparison": "AND",
        "sort": "customers.lastSeen",
        "order": "ASC",
        "limit": 100,
        "offset": 100,
    }
    assert (page.next_offset, page.is_last) == (101, True)


def test_it_pages_helpcrunch_chats_by_their_last_message(rsps: responses.RequestsMock) -> None:
    rsps.get(
        f"{HC}/chats?sort=chats.lastMessageAt&order=desc&offset=0&limit=2",
        json={"data": [{"id": 9}, {"id": 8}], "meta": {"total": 5}},
    )
    client = HelpCrunchClient("key", base_url=HC)

    page = client.chats_page(limit=2, sort="chats.lastMessageAt", order="desc")

    assert ([c.id for c in page.items], page.is_last) == ([9, 8], False)


def test_it_reports_a_bony_contact_without_an_id_and_finds_the_rest(
    rsps: responses.RequestsMock,
) -> None:
    rsps.get(
        f"{BONY}/contact/by_custom_field?name=email&value=a%40b.pl",
        json={"data": [{"id": "1"}, {"custom_fields": {}}], "links": {"next": None}},
    )
    client = BonyClient("token", base_url=BONY)
    skipped: list[Malformed] = []

    found = list(client.find_contacts("email", "a@b.pl", on_malformed=skipped.append))

    assert [c.id for c in found] == ["1"]
    assert skipped == [
        Malformed(None, "unexpected response from the vendor: contact without an id")
    ]


def test_it_still_raises_for_a_malformed_contact_when_nobody_listens(
    rsps: responses.RequestsMock,
) -> None:
    rsps.get(
        f"{BONY}/contact/by_custom_field?name=email&value=a%40b.pl",
        json={"data": [{"custom_fields": {}}], "links": {"next": None}},
    )
    with pytest.raises(TransportError, match="contact without an id"):
        list(BonyClient("token", base_url=BONY).find_contacts("email", "a@b.pl"))
