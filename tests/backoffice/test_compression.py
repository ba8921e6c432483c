"""Audit bodies and headers are stored compressed, and come back exactly as they were written:
a call's two bodies as one stream (version 3), and rows stored before as they always read."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from hypothesis import given
from hypothesis import strategies as st

from backoffice.compression import (
    HELD,
    HELD_TEXT,
    PairedText,
    compress_pair,
    compress_text,
    decompress_pair,
    decompress_text,
    read_stored,
)
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


def raw_bodies(pk: int) -> tuple[bytes, bytes]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT request_body, response_body FROM backoffice_apicall WHERE id = %s", [pk]
        )
        request, response = cursor.fetchone()
    return bytes(request), bytes(response)


@given(st.text(), st.text())
def test_any_request_and_response_come_back_whole_from_one_stream(
    request: str, response: str
) -> None:
    stored_request, stored_response = compress_pair(request, response)
    if request and response:
        assert stored_request == HELD
        assert decompress_pair(stored_response) == PairedText(request, response)
        assert decompress_text(stored_response) == response
        assert read_stored(stored_request) is HELD_TEXT
        with pytest.raises(ValueError, match="held with its response"):
            decompress_text(stored_request)
    else:  # nothing to share a stream with: each alone, as version 1 (or empty)
        assert decompress_text(stored_request) == request
        assert decompress_text(stored_response) == response


def test_a_stream_splits_at_the_requests_bytes_not_its_characters() -> None:
    request, response = "Żółć ☎ 𝄞" * 40, '{"ok":"zażółć"}'
    _, stored = compress_pair(request, response)
    # 1 version byte, then the request's length in UTF-8 bytes (LEB128: 2 bytes here).
    length = len(request.encode())
    assert stored[1:3] == bytes([length & 0x7F | 0x80, length >> 7])
    assert decompress_pair(stored) == PairedText(request, response)
    with pytest.raises(ValueError, match="version 3"):
        decompress_pair(compress_text(response))


def test_one_stream_is_smaller_than_two() -> None:
    held, both = compress_pair(REQUEST, BODY)
    two = len(compress_text(REQUEST)) + len(compress_text(BODY, context=REQUEST))
    assert len(held) + len(both) < two


@pytest.mark.django_db
def test_a_calls_two_bodies_are_stored_as_one_stream_and_read_back_whole() -> None:
    call = ApiCallFactory(request_body=REQUEST, response_body=BODY)
    request, response = raw_bodies(call.pk)
    assert (request, response[:1]) == (b"\x03", b"\x03")
    assert len(response) < len(compress_text(REQUEST)) + len(compress_text(BODY, context=REQUEST))
    for read in (
        ApiCall.objects.get(pk=call.pk),
        ApiCall.objects.select_related("operation").get(pk=call.pk),
        # Read without the other column, the row fetches it; deferred, it is read when asked.
        ApiCall.objects.only("request_body").get(pk=call.pk),
        ApiCall.objects.only("response_body").get(pk=call.pk),
        ApiCall.objects.defer("request_body").get(pk=call.pk),
        ApiCall.objects.defer("response_body").get(pk=call.pk),
        ApiCall.objects.defer("request_body", "response_body").get(pk=call.pk),
    ):
        assert (read.request_body, read.response_body) == (REQUEST, BODY)
    # values() reads a column as it is: the marker, and the pair (as for version 2's text).
    assert ApiCall.objects.values_list("request_body", "response_body").get(pk=call.pk) == (
        HELD_TEXT,
        PairedText(REQUEST, BODY),
    )


@pytest.mark.django_db
def test_a_call_with_one_body_stores_it_alone() -> None:
    no_request = ApiCallFactory(method="GET", request_body="", response_body=BODY)
    no_response = ApiCallFactory(request_body=REQUEST, response_body="", status_code=None)
    assert raw_bodies(no_request.pk) == (b"", compress_text(BODY))
    assert raw_bodies(no_response.pk) == (compress_text(REQUEST), b"")
    assert ApiCall.objects.get(pk=no_request.pk).response_body == BODY
    assert ApiCall.objects.get(pk=no_response.pk).request_body == REQUEST


@pytest.mark.django_db
def test_rows_stored_before_one_stream_read_as_they_did() -> None:
    """Version 2 (the response against its request body), version 1 alone, and plain text
    stored before compression existed: given to the model as the bytes they are."""
    chained = ApiCallFactory(
        request_body=compress_text(REQUEST), response_body=compress_text(BODY, context=REQUEST)
    )
    alone = ApiCallFactory(request_body=compress_text(REQUEST), response_body=compress_text(BODY))
    plain = ApiCallFactory(request_body=REQUEST.encode(), response_body=BODY.encode())
    assert raw_bodies(chained.pk)[1][:1] == b"\x02"
    assert raw_bodies(plain.pk) == (REQUEST.encode(), BODY.encode())
    for pk in (chained.pk, alone.pk, plain.pk):
        for read in (
            ApiCall.objects.get(pk=pk),
            ApiCall.objects.only("response_body").get(pk=pk),
            ApiCall.objects.defer("response_body").get(pk=pk),
        ):
            assert (read.request_body, read.response_body) == (REQUEST, BODY)


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
