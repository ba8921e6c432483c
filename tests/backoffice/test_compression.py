"""Audit bodies and headers are stored compressed, and come back exactly as they were written."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from hypothesis import given
from hypothesis import strategies as st

from backoffice.compression import compress_text, decompress_text
from backoffice.models import ApiCall
from tests.factories import ApiCallFactory

BODY = json.dumps(
    {
        "status": "success",
        "data": {"id": 4711, "name": "Zofia Wiśniewska", "email": "zofia@example.pl"},
        "tags": [{"name": "vip"}, {"name": "reklamacja"}],
        "note": "Klientka prosi o kontakt po 16:00 w sprawie zwrotu \\ faktury 12/2026.",
    },
    ensure_ascii=False,
)


@given(st.text())
def test_any_text_comes_back_whole(text: str) -> None:
    assert decompress_text(compress_text(text)) == text


def test_text_stored_before_compression_reads_as_it_was() -> None:
    assert decompress_text(BODY.encode()) == BODY
    assert decompress_text(BODY) == BODY


def test_a_typical_body_takes_a_fraction_of_its_length() -> None:
    assert len(compress_text(BODY)) < len(BODY.encode()) * 0.75


@pytest.mark.django_db
def test_an_api_call_keeps_its_bodies_and_headers_and_stores_them_small() -> None:
    headers = {"Content-Type": "application/json; charset=utf-8", "x-request-id": "r-1"}
    call = ApiCallFactory(request_body=BODY, response_body="", response_headers=headers)
    stored = ApiCall.objects.get(pk=call.pk)
    assert (stored.request_body, stored.response_body) == (BODY, "")
    assert stored.response_headers == headers
    assert stored.request_headers == {"Authorization": "[redacted]"}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT request_body, response_body FROM backoffice_apicall WHERE id = %s", [call.pk]
        )
        request, response = cursor.fetchone()
    assert len(bytes(request)) < len(BODY.encode()) * 0.75
    assert bytes(response) == b""


@pytest.mark.django_db
def test_the_recorders_update_stores_the_outcome_compressed_too() -> None:
    call = ApiCallFactory(state=ApiCall.State.IN_FLIGHT, response_body="", response_headers={})
    ApiCall.objects.filter(pk=call.pk).update(
        response_body=BODY, response_headers={"retry-after": "3"}, state=ApiCall.State.DONE
    )
    stored = ApiCall.objects.get(pk=call.pk)
    assert (stored.response_body, stored.response_headers) == (BODY, {"retry-after": "3"})


@given(st.text(), st.text())
def test_any_text_stored_against_a_context_comes_back_whole(text: str, context: str) -> None:
    assert decompress_text(compress_text(text, context=context), context=context) == text


REQUEST = json.dumps(
    {"name": "Zofia Wiśniewska", "email": "zofia@example.pl", "tags": [{"name": "reklamacja"}]},
    ensure_ascii=False,
)


@pytest.mark.django_db
def test_a_response_body_is_stored_against_its_request_body_and_read_back_whole() -> None:
    call = ApiCallFactory(request_body=REQUEST, response_body=BODY)
    with connection.cursor() as cursor:
        cursor.execute("SELECT response_body FROM backoffice_apicall WHERE id = %s", [call.pk])
        (response,) = cursor.fetchone()
    assert bytes(response)[:1] == b"\x02"
    assert len(bytes(response)) < len(compress_text(BODY))
    assert ApiCall.objects.get(pk=call.pk).response_body == BODY
    # Read without its request body, it fetches it; deferred, it is read when asked for.
    assert ApiCall.objects.only("response_body").get(pk=call.pk).response_body == BODY
    assert ApiCall.objects.defer("response_body").get(pk=call.pk).response_body == BODY
    assert ApiCall.objects.select_related("operation").get(pk=call.pk).response_body == BODY


@pytest.mark.django_db
def test_the_recorders_update_stores_the_response_against_the_request() -> None:
    call = ApiCallFactory(state=ApiCall.State.IN_FLIGHT, request_body=REQUEST, response_body="")
    ApiCall.objects.filter(pk=call.pk).update(
        response_body=compress_text(BODY, context=REQUEST), state=ApiCall.State.DONE
    )
    assert ApiCall.objects.get(pk=call.pk).response_body == BODY


@pytest.mark.django_db
def test_response_headers_are_stored_against_the_vendor_request_id() -> None:
    request_id = "6f1c2a9e-4b7d-4e21-9a3b-2c5d8e7f0a11"
    headers = {"content-type": "application/json", "x-request-id": request_id}
    call = ApiCallFactory(vendor_request_id=request_id, response_headers=headers)
    alone = ApiCallFactory(vendor_request_id="", response_headers=headers)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, response_headers FROM backoffice_apicall WHERE id IN (%s, %s)",
            [call.pk, alone.pk],
        )
        stored = {pk: bytes(value) for pk, value in cursor.fetchall()}
    assert stored[call.pk][:1] == b"\x02"
    assert len(stored[call.pk]) < len(stored[alone.pk]) - 20
    for pk in (call.pk, alone.pk):
        assert ApiCall.objects.get(pk=pk).response_headers == headers
        assert ApiCall.objects.only("response_headers").get(pk=pk).response_headers == headers
        assert ApiCall.objects.defer("response_headers").get(pk=pk).response_headers == headers
