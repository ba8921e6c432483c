"""The keys a contact is matched on across vendors: a normalised e-mail and an E.164 phone.

A key is either right or empty: an address or number that cannot be read with confidence gets no
key, so it never links two contacts by mistake.

- E-mail: surrounding spaces removed and lower-cased. Plus-addressing (``anna+shop@``) and dots
  in the local part are kept: the vendors treat such addresses as distinct, and so does the
  mail provider of many a customer.
- Phone: parsed with ``phonenumbers`` (Google's libphonenumber metadata); a number written
  without a country code is read in ``PHONE_DEFAULT_REGION``. A number only ``is_valid_number``
  accepts gets a key; "possible" is not enough.
"""

from __future__ import annotations

from functools import lru_cache

import phonenumbers
from django.conf import settings

EMAIL_KEY_MAX_LENGTH = 254
# "+" and at most 15 digits (ITU-T E.164).
PHONE_KEY_MAX_LENGTH = 16


def email_key(email: str | None) -> str:
    """``" Anna.Nowak@Gmail.com "`` → ``"anna.nowak@gmail.com"``; "" when it is no address."""
    value = (email or "").strip().lower()
    local, at, domain = value.partition("@")
    if not at or not local or not domain or "@" in domain or any(c.isspace() for c in value):
        return ""
    if len(value) > EMAIL_KEY_MAX_LENGTH:
        return ""
    return value


# Parsing is most of a key's cost, and a sync computes each phone's key twice (with the row and
# when its contact is linked); the answer depends on nothing but the arguments.
@lru_cache(maxsize=16_384)
def _valid_e164(raw: str, region: str | None) -> str:
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return ""
    if not phonenumbers.is_valid_number(number):
        return ""
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def phone_key(phone: str | None, *, region: str | None = None) -> str:
    """``"601-234-567"`` (region PL) → ``"+48601234567"``; "" when it is not a valid number.

    Bony.chat writes international numbers as bare digits ("34612345678"). Such a string that is
    no valid number of the default region is tried once more as international; a valid national
    number always wins, so a local number is never read as a foreign one.
    """
    raw = (phone or "").strip()
    if not raw:
        return ""
    key = _valid_e164(raw, region or settings.PHONE_DEFAULT_REGION)
    if not key and raw.isdigit() and not raw.startswith("0"):
        key = _valid_e164(f"+{raw}", None)
    return key


def match_keys(email: str | None, phone: str | None) -> tuple[str, str]:
    """A contact's two keys: (e-mail key, phone key)."""
    return email_key(email), phone_key(phone)
