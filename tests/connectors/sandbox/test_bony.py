"""The sandbox speaks Bony.chat's wire format (vendor page 004), Viber channels included."""

from __future__ import annotations

import base64
from urllib.parse import quote

import requests

from connectors.sandbox.seed import BONY_CONTACT_ID, BONY_VIBER_CONTACT_ID
from connectors.sandbox.testing import SandboxHandle
from tests.connectors.sandbox.conftest import VendorSession


def assert_bony_error(response: requests.Response, status: int, message: str) -> None:
    assert response.status_code == status
    body = response.json()
    assert body["status"] == "error"
    assert body["data"] == []
    assert message in body["message"]


def viber_path(raw_id: str) -> str:
    return quote(base64.b64encode(raw_id.encode()).decode(), safe="")


def fields(count: int, prefix: str = "field") -> list[dict[str, object]]:
    return [{"name": f"{prefix}{n}", "value": str(n)} for n in range(count)]


def test_it_answers_a_wrong_token_with_the_pages_401_body(sandbox: SandboxHandle) -> None:
    wrong = VendorSession(sandbox.bony_url)
    wrong.headers["Authorization"] = "Bearer nope"

    response = wrong.get(f"/contact/{BONY_CONTACT_ID}")

    assert response.status_code == 401
    assert response.json() == {"status": "error", "message": "API Token is invalid.", "data": []}


def test_it_gets_a_contact_in_the_pages_shape(bony: VendorSession) -> None:
    contact = bony.get(f"/contact/{BONY_CONTACT_ID}").json()["data"]

    assert set(contact) == {"id", "custom_fields", "tags", "created_at"}
    assert contact["id"] == BONY_CONTACT_ID
    assert contact["custom_fields"]["email"] == "anna.nowak@gmail.com"
    assert isinstance(contact["created_at"], int)
    assert_bony_error(bony.get("/contact/123"), 404, "Contact not found.")


def test_it_creates_contacts_found_by_custom_field_across_pages(
    bony: VendorSession, sandbox: SandboxHandle
) -> None:
    created = [
        bony.post(
            "/contact/",
            json={
                "custom_fields": [
                    {"name": "firstName", "value": f"Lucía {n}"},
                    {"name": "campaign", "value": "otoño"},
                ]
            },
        ).json()["data"]["id"]
        for n in range(12)
    ]

    first = bony.get("/contact/by_custom_field", params={"name": "campaign", "value": "otoño"})
    second = bony.get(
        "/contact/by_custom_field", params={"name": "campaign", "value": "otoño", "page": 2}
    )

    assert all(contact_id.isdigit() for contact_id in created)
    page = first.json()
    assert [c["id"] for c in page["data"]] == created[:10]
    assert [c["id"] for c in second.json()["data"]] == created[10:]
    path = f"http://{sandbox.bony_url.split('://')[1]}/contact/by_custom_field"
    assert page["links"] == {
        "first": f"{path}?page=1",
        "last": f"{path}?page=2",
        "prev": None,
        "next": f"{path}?page=2",
    }
    assert page["meta"] == {
        "current_page": 1,
        "from": 1,
        "last_page": 2,
        "path": path,
        "per_page": 10,
        "to": 10,
        "total": 12,
    }
    assert second.json()["links"]["next"] is None
    assert second.json()["meta"]["from"] == 11


def test_it_refuses_to_follow_a_next_link_blindly(bony: VendorSession) -> None:
    page = bony.get("/contact/by_custom_field", params={"name": "newsletter", "value": "TRUE"})
    next_link = page.json()["links"]["next"]

    followed = requests.get(next_link, headers=bony.headers, timeout=10)

    assert "name=" not in next_link
    assert_bony_error(followed, 403, "name")


def test_it_matches_booleans_as_upper_case_and_phones_only_when_encoded(
    bony: VendorSession,
) -> None:
    upper = bony.get("/contact/by_custom_field", params={"name": "newsletter", "value": "TRUE"})
    lower = bony.get("/contact/by_custom_field", params={"name": "newsletter", "value": "true"})
    bony.put(
        f"/contact/{BONY_CONTACT_ID}",
        json={"custom_fields": [{"name": "phone", "value": "+48601234567"}]},
    )
    encoded = bony.get("/contact/by_custom_field?name=phone&value=%2B48601234567")
    raw_plus = bony.get("/contact/by_custom_field?name=phone&value=+48601234567")

    assert upper.json()["meta"]["total"] > 0
    assert lower.json()["meta"]["total"] == 0
    assert [c["id"] for c in encoded.json()["data"]] == [BONY_CONTACT_ID]
    assert raw_plus.json()["data"] == []


def test_it_updates_fields_but_rejects_more_than_30(bony: VendorSession) -> None:
    updated = bony.put(f"/contact/{BONY_CONTACT_ID}", json={"custom_fields": fields(30)})
    too_many = bony.put(f"/contact/{BONY_CONTACT_ID}", json={"custom_fields": fields(31, "x")})
    create_too_many = bony.post("/contact", json={"custom_fields": fields(31)})

    assert updated.json() == {"data": {"id": BONY_CONTACT_ID}}
    contact = bony.get(f"/contact/{BONY_CONTACT_ID}").json()["data"]
    assert contact["custom_fields"]["field29"] == "29"
    assert_bony_error(too_many, 403, "30")
    assert "x0" not in bony.get(f"/contact/{BONY_CONTACT_ID}").json()["data"]["custom_fields"]
    assert_bony_error(create_too_many, 403, "30")


def test_it_adds_and_removes_tags_but_rejects_more_than_10(
    bony: VendorSession, sandbox: SandboxHandle
) -> None:
    added = bony.post(f"/contact/{BONY_CONTACT_ID}/tags", json={"tags": ["Otoño", "Soporte"]})
    removed = bony.delete(f"/contact/{BONY_CONTACT_ID}/tags", json={"tags": ["Soporte"]})
    eleven = bony.post(
        f"/contact/{BONY_CONTACT_ID}/tags", json={"tags": [str(n) for n in range(11)]}
    )

    assert added.json() == {
        "status": "success",
        "message": "Contact Tags have been added successfully.",
        "data": [],
    }
    assert removed.json() == {
        "status": "success",
        "message": "Contact Tags deleted successfully.",
        "data": [],
    }
    tags = sandbox.state.bony["sandbox"].contacts[BONY_CONTACT_ID].tags
    assert "Otoño" in tags
    assert "Soporte" not in tags
    assert_bony_error(eleven, 403, "10")
    assert "0" not in bony.get(f"/contact/{BONY_CONTACT_ID}").json()["data"]["tags"]


def test_it_stores_sent_content_on_the_contact(bony: VendorSession, sandbox: SandboxHandle) -> None:
    body = [{"type": "text", "text": "¡Hola! Tu pedido ya está en camino."}]

    response = bony.post(f"/message/sendContent/{BONY_CONTACT_ID}", json={"body": body})

    assert response.json() == {"status": "Success", "message": "Message Sent", "data": []}
    assert sandbox.state.bony["sandbox"].contacts[BONY_CONTACT_ID].messages[-1].body == body
    empty = bony.post(f"/message/sendContent/{BONY_CONTACT_ID}", json={"body": [{"type": "text"}]})
    assert_bony_error(empty, 403, "text")


def test_it_keeps_each_channels_contacts_apart(bony: VendorSession, viber: VendorSession) -> None:
    assert_bony_error(viber.get(f"/contact/{viber_path(BONY_CONTACT_ID)}"), 404, "not found")
    assert_bony_error(bony.get(f"/contact/{BONY_VIBER_CONTACT_ID}"), 404, "not found")


def test_it_wants_base64_contact_ids_on_viber_channels(
    viber: VendorSession, sandbox: SandboxHandle
) -> None:
    encoded = viber_path(BONY_VIBER_CONTACT_ID)

    found = viber.get(f"/contact/{encoded}")
    raw = viber.get(f"/contact/{quote(BONY_VIBER_CONTACT_ID, safe='')}")
    not_base64 = viber.get("/contact/not-base64!")

    assert found.json()["data"]["id"] == BONY_VIBER_CONTACT_ID
    assert_bony_error(raw, 404, "Contact not found.")
    assert_bony_error(not_base64, 404, "Contact not found.")
    viber.post(f"/contact/{encoded}/tags", json={"tags": ["Viber"]})
    viber.post(f"/message/sendContent/{encoded}", json={"body": [{"type": "text", "text": "Hola"}]})
    contact = sandbox.state.bony["sandbox-viber"].contacts[BONY_VIBER_CONTACT_ID]
    assert "Viber" in contact.tags
    assert contact.messages[-1].body == [{"type": "text", "text": "Hola"}]


def test_it_creates_viber_contacts_with_viber_style_ids(viber: VendorSession) -> None:
    created = viber.post(
        "/contact", json={"custom_fields": [{"name": "firstName", "value": "Íñigo"}]}
    )

    contact_id = created.json()["data"]["id"]
    assert len(base64.b64decode(contact_id, validate=True)) == 16
    assert viber.get(f"/contact/{viber_path(contact_id)}").json()["data"]["custom_fields"] == {
        "firstName": "Íñigo"
    }


def test_it_answers_wrong_methods_paths_and_bodies_in_bony_format(bony: VendorSession) -> None:
    assert_bony_error(
        bony.patch(f"/contact/{BONY_CONTACT_ID}", json={}), 405, "405 Method Not Allowed."
    )
    assert_bony_error(bony.get("/contacts"), 404, "Not Found.")
    invalid = bony.put(
        f"/contact/{BONY_CONTACT_ID}", data=b"{", headers={"Content-Type": "application/json"}
    )
    assert_bony_error(invalid, 400, "Invalid JSON")
    assert_bony_error(bony.get("/contact/by_custom_field", params={"value": "x"}), 403, "name")
