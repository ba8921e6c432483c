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
costs alone; reading it back takes the same context (``ChainedText``).
"""

from __future__ import annotations

import zlib

VERSION_1 = b"\x01"
VERSION_2 = b"\x02"  # VERSION_1's dictionary, then a context the caller gives
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
    compressor = zlib.compressobj(
        _LEVEL, zlib.DEFLATED, _WINDOW, 9, zlib.Z_DEFAULT_STRATEGY, dictionary
    )
    return version + compressor.compress(text.encode()) + compressor.flush()


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


def read_stored(stored: bytes | memoryview | str) -> str | ChainedText:
    """What a column holds: its text, or, stored against a context, a ``ChainedText``."""
    if isinstance(stored, str):
        return stored
    data = bytes(stored)
    if data[:1] == VERSION_2:
        return ChainedText(data)
    return decompress_text(data)


def decompress_text(stored: bytes | memoryview | str, *, context: str = "") -> str:
    """The text ``compress_text`` was given (or a value stored as plain text before)."""
    if isinstance(stored, str):
        return stored
    data = bytes(stored)
    if data[:1] == VERSION_1:
        return _inflate(data[1:], DICTIONARY_1)
    if data[:1] == VERSION_2:
        return ChainedText(data).text(context)
    return data.decode()
