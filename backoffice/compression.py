"""Compact storage for the audit trail's bodies and headers.

An API call's request and response (a few hundred bytes to a few kilobytes each) are stored
deflate-compressed. PostgreSQL compresses a value only once its row passes about 2 kB, so the
typical audit row, 1-2 kB of JSON, would otherwise be stored raw, and every scan of the table
would read it. The compression is lossless: the field gives back exactly the text it was given.

Format: one version byte, then raw deflate (no zlib header or checksum: the database keeps its
own) primed with a dictionary of the JSON and HTTP strings the vendors' calls share, which
roughly halves what a short document costs on its own. Version 1's dictionary must never
change: a new dictionary takes a new version byte, and the old ones stay readable. A value
that does not start with a known version byte is text stored before compression existed (the
migration converts the columns without rewriting their rows) and is returned as it is.

Version 2 is version 1 with the dictionary followed by a context: text the reader holds anyway.
A response body is stored so with its request body as the context (a vendor's answer repeats
the names, fields and words of the request), which saves about a quarter of what the response
costs alone; reading it back takes the same context (``ChainedText``). Version 2 is no longer
written (version 3 replaced it for bodies); headers still use it.

Version 3 holds an API call's request body and response body as one stream, in the response
column: the version byte, the length in bytes of the request's UTF-8 (unsigned LEB128: 1-3
bytes), then the raw deflate, with version 1's dictionary, of the request's UTF-8 followed by the
response's. One stream pays for one set of Huffman tables where two streams paid for two, and
the response refers back to its request as version 2's did. The request column then holds the
version byte alone (``HELD``): its text is held with the response. A length is used, not a
separator, so that no text is refused or escaped. ``compress_pair`` writes a call's two columns
so when both texts are non-empty, and each alone otherwise (a stream for one text costs more than
its version 1 value). The request body alone stays as version 1 while the call is in flight: that
row is committed before the request leaves, and the response is written once it is known.
"""

from __future__ import annotations

import zlib

VERSION_1 = b"\x01"
VERSION_2 = b"\x02"  # VERSION_1's dictionary, then a context the caller gives
VERSION_3 = b"\x03"  # a request body and its response body, one stream, VERSION_1's dictionary
# The request column of a version 3 call: its text is held in the response column's stream.
HELD = VERSION_3
_LEVEL = 9
_WINDOW = -15  # raw deflate, 32 KiB window

# Strings common to the three vendors' requests, responses and headers; deflate refers back to
# the end of a dictionary most cheaply, so the commonest come last.
DICTIONARY_1 = (
    b'"total":"per_page":"last_page":"links":{"next":null,"prev":null},"meta":{'
    b'"ticket_id":"ticket_queue_id":"status_id":"subject":"body":"system_comment":'
    b'"conversation_id":"message_id":"chat":{"agent":"customer":"customerid":"user_login":'
    b'"attachments":[],"payload":{"text":"read":false,"edited":false,"locale":"pl","gender":'
    b'"timezone":"Europe/Warsaw","subscription_url":"created_at":"updated_at":"date":'
    b'"errors":[],"code":"value":"type":"contact","tags":[{"name":"color":"#'
    b'"custom_fields":{},"first_name":"last_name":"email":"@gmail.com","phone":"+48'
    b'"Content-Type":"application/json; charset=utf-8","Accept":"application/json",'
    b'"Authorization":"[redacted]","x-request-id":"retry-after":"x-ratelimit-remaining":'
    b'{"status":"success","message":"","data":{"id":"name":"'
)


_WINDOW_BYTES = 1 << -_WINDOW


def _dictionary(context: str) -> bytes:
    # Deflate reaches back one window: only the dictionary's last 32 KiB can be referred to.
    return (DICTIONARY_1 + context.encode())[-_WINDOW_BYTES:]


def compress_text(text: str, *, context: str = "") -> bytes:
    """``text`` as stored: b"" for "", else the version byte and the deflated UTF-8.

    With a ``context`` (version 2), the text is deflated against it as well: reading it back
    takes the same context.
    """
    if not text:
        return b""
    version, dictionary = (
        (VERSION_2, _dictionary(context)) if context else (VERSION_1, DICTIONARY_1)
    )
    return version + _deflate(text.encode(), dictionary)


def _deflate(data: bytes, dictionary: bytes) -> bytes:
    compressor = zlib.compressobj(
        _LEVEL, zlib.DEFLATED, _WINDOW, 9, zlib.Z_DEFAULT_STRATEGY, dictionary
    )
    return compressor.compress(data) + compressor.flush()


def _leb128(number: int) -> bytes:
    out = bytearray()
    while True:
        low, number = number & 0x7F, number >> 7
        out.append(low | 0x80 if number else low)
        if not number:
            return bytes(out)


def compress_held(request: str, response: str) -> bytes:
    """The response column of a call whose request body is held with it (version 3)."""
    first = request.encode()
    return VERSION_3 + _leb128(len(first)) + _deflate(first + response.encode(), DICTIONARY_1)


def compress_pair(request: str, response: str) -> tuple[bytes, bytes]:
    """A call's request and response columns: ``HELD`` and one stream when both have text,
    else each text alone (version 1, or b"" for "")."""
    if request and response:
        return HELD, compress_held(request, response)
    return compress_text(request), compress_text(response)


class PairedText:
    """A response column holding its request body too (version 3), as read: both texts."""

    __slots__ = ("request", "response")

    def __init__(self, request: str, response: str) -> None:
        self.request = request
        self.response = response

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PairedText) and (self.request, self.response) == (
            other.request,
            other.response,
        )

    def __hash__(self) -> int:
        return hash((self.request, self.response))

    def __repr__(self) -> str:
        return f"<PairedText of {len(self.request)} + {len(self.response)} characters>"


class HeldText:
    """A request column whose text is held with the response (``HELD``), as read."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "<HeldText: the request body is in the response column>"


HELD_TEXT = HeldText()


def decompress_pair(stored: bytes | memoryview) -> PairedText:
    """The request and response texts of a version 3 value."""
    data = bytes(stored)
    if data[:1] != VERSION_3 or len(data) < 2:
        raise ValueError("not a request and response stored as one stream (version 3)")
    length, shift, at = 0, 0, 1
    while True:
        if at >= len(data):
            raise ValueError("a version 3 value cut short in its length")
        byte = data[at]
        length |= (byte & 0x7F) << shift
        at, shift = at + 1, shift + 7
        if not byte & 0x80:
            break
    decompressor = zlib.decompressobj(_WINDOW, zdict=DICTIONARY_1)
    both = decompressor.decompress(data[at:]) + decompressor.flush()
    if length > len(both):
        raise ValueError("a version 3 value shorter than its request's length")
    return PairedText(both[:length].decode(), both[length:].decode())


class ChainedText:
    """A value stored against a context (version 2), as read from the database: its text once
    the context is known (``text``)."""

    __slots__ = ("data",)

    def __init__(self, data: bytes) -> None:
        self.data = data

    def text(self, context: str) -> str:
        return _inflate(self.data[1:], _dictionary(context))

    def __repr__(self) -> str:
        return f"<ChainedText of {len(self.data)} bytes>"


def _inflate(deflated: bytes, dictionary: bytes) -> str:
    decompressor = zlib.decompressobj(_WINDOW, zdict=dictionary)
    return (decompressor.decompress(deflated) + decompressor.flush()).decode()


Stored = str | ChainedText | PairedText | HeldText


def read_stored(stored: bytes | memoryview | str) -> Stored:
    """What a column holds: its text; stored against a context, a ``ChainedText``; a request
    and response as one stream, a ``PairedText``; the request column of such a call,
    ``HELD_TEXT``."""
    if isinstance(stored, str):
        return stored
    data = bytes(stored)
    if data[:1] == VERSION_2:
        return ChainedText(data)
    if data == HELD:
        return HELD_TEXT
    if data[:1] == VERSION_3:
        return decompress_pair(data)
    return decompress_text(data)


def decompress_text(stored: bytes | memoryview | str, *, context: str = "") -> str:
    """The text ``compress_text`` was given (or a value stored as plain text before); of a
    version 3 value, the response's text (``decompress_pair`` gives both). The request column
    of such a call holds no text of its own: reading it alone is refused (``ValueError``)."""
    if isinstance(stored, str):
        return stored
    data = bytes(stored)
    if data[:1] == VERSION_1:
        return _inflate(data[1:], DICTIONARY_1)
    if data[:1] == VERSION_2:
        return ChainedText(data).text(context)
    if data == HELD:
        raise ValueError("this request body is held with its response (version 3)")
    if data[:1] == VERSION_3:
        return decompress_pair(data).response
    return data.decode()
