"""The retry policy row by row, without a database: what each vendor error leaves an operation
as (retry at a time, reconcile first, failed, unknown) and the words staff read on it."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from backoffice.operations.outcome import (
    Fail,
    Outcome,
    Reconcile,
    Retry,
    Uniform,
    Unknown,
    outcome_for,
    outcome_for_bug,
)
from connectors.errors import (
    InvalidRequest,
    NotFound,
    RateLimited,
    ServerError,
    TransportError,
    VendorError,
)
from connectors.transport import CallStart

NOW = datetime(2025, 3, 4, 10, 0, tzinfo=UTC)
UNKNOWN = (
    "The request may have reached the vendor, and the vendor offers no way to check. "
    "Check at the vendor, then retry or dismiss this operation."
)
UNSETTLED = (
    "The last request may have reached the vendor; retrying checks at the vendor before "
    "sending it again."
)
URL = "https://example.thulium.com/api/tickets/7/agent_response"


def low(a: float, b: float) -> float:
    return a


def high(a: float, b: float) -> float:
    return b


@pytest.fixture(autouse=True)
def backoff(settings: Any) -> None:
    """The default backoff: a 30 s first step, doubling up to an hour."""
    settings.OPERATION_RETRY_BASE_SECONDS = 30.0
    settings.OPERATION_RETRY_MAX_SECONDS = 3600.0


def call(*, idempotent: bool) -> CallStart:
    return CallStart(
        call_id="c1",
        vendor="thulium",
        method="GET" if idempotent else "POST",
        url=URL,
        request_headers={"Authorization": "[redacted]"},
        request_body=None if idempotent else "{}",
        idempotent=idempotent,
        started_at=NOW,
    )


READ, SEND = call(idempotent=True), call(idempotent=False)


def decide(
    error: VendorError,
    last_call: CallStart | None,
    *,
    can_reconcile: bool = False,
    retries: bool = True,
    attempts: int = 1,
    max_attempts: int = 5,
    needs_reconcile: bool | None = None,
    uniform: Uniform = low,
) -> Outcome:
    """``outcome_for`` as a run calls it: a send sets the flag before it leaves."""
    if needs_reconcile is None:
        needs_reconcile = last_call is not None and not last_call.idempotent
    return outcome_for(
        error,
        last_call,
        can_reconcile=can_reconcile,
        retries=retries,
        attempts=attempts,
        max_attempts=max_attempts,
        needs_reconcile=needs_reconcile,
        now=NOW,
        uniform=uniform,
    )


def at(seconds: float) -> datetime:
    return NOW + timedelta(seconds=seconds)


def too_many(retry_after: float | None = 120) -> RateLimited:
    return RateLimited("Too many requests", status=429, retry_after=retry_after)


def server_error(status: int, reason: str) -> ServerError:
    return ServerError(f"HTTP {status} {reason}", status=status)


def read_timeout() -> TransportError:
    return TransportError(f"no response within 10s (POST {URL})", sent=True, retryable=False)


# --- 429 ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("last_call", [READ, SEND], ids=["read", "send"])
def test_a_429_is_retried_exactly_at_its_retry_after_plus_at_most_a_second(
    last_call: CallStart,
) -> None:
    error = too_many(retry_after=120)

    earliest = decide(error, last_call, uniform=low)
    latest = decide(error, last_call, uniform=high)

    # A 429 says the vendor did not take it: nothing to check, even after a send.
    assert earliest == Retry(at(120), "Too many requests (HTTP 429)")
    assert latest == Retry(at(121), "Too many requests (HTTP 429)")
    assert not earliest.needs_reconcile


def test_a_429s_retry_after_replaces_the_backoff_whatever_the_attempt() -> None:
    outcome = decide(too_many(retry_after=5), READ, attempts=4, max_attempts=10, uniform=high)

    assert outcome == Retry(at(6), "Too many requests (HTTP 429)")


def test_a_429s_jitter_stays_within_a_second_of_its_retry_after() -> None:
    outcomes = [decide(too_many(retry_after=120), READ, uniform=random.uniform) for _ in range(100)]

    times = {outcome.at for outcome in outcomes if isinstance(outcome, Retry)}
    assert len(times) > 50  # spread, not one instant for every operation the vendor paused
    assert all(at(120) <= when <= at(121) for when in times)


def test_a_429_without_retry_after_backs_off() -> None:
    assert decide(too_many(retry_after=None), READ, uniform=high) == Retry(
        at(30), "Too many requests (HTTP 429)"
    )


# --- 5xx -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("attempts", "step"), [(1, 30), (2, 60), (3, 120), (7, 1920), (8, 3600), (12, 3600)]
)
def test_a_5xx_on_a_read_is_retried_with_capped_exponential_backoff(
    attempts: int, step: float
) -> None:
    error = server_error(503, "Service Unavailable")

    # "Equal jitter": half of the step fixed, half random.
    earliest = decide(error, READ, attempts=attempts, max_attempts=20, uniform=low)
    latest = decide(error, READ, attempts=attempts, max_attempts=20, uniform=high)

    assert earliest == Retry(at(step / 2), "HTTP 503 Service Unavailable")
    assert latest == Retry(at(step), "HTTP 503 Service Unavailable")


def test_a_500_on_a_send_is_checked_with_a_read_first_where_the_vendor_has_one() -> None:
    outcome = decide(server_error(500, "Internal Server Error"), SEND, can_reconcile=True)

    assert outcome == Reconcile(at(15), "HTTP 500 Internal Server Error")
    assert outcome.needs_reconcile


def test_a_500_on_a_send_nothing_can_check_is_sent_again() -> None:
    outcome = decide(server_error(500, "Internal Server Error"), SEND, can_reconcile=False)

    assert outcome == Retry(at(15), "HTTP 500 Internal Server Error")
    assert not outcome.needs_reconcile


def test_a_503_on_a_send_is_sent_again_without_a_read_the_vendor_did_not_take_it() -> None:
    outcome = decide(server_error(503, "Service Unavailable"), SEND, can_reconcile=True)

    assert outcome == Retry(at(15), "HTTP 503 Service Unavailable")


def test_a_failed_read_after_a_send_settles_nothing_the_next_attempt_reads_again() -> None:
    outcome = decide(server_error(503, "Service Unavailable"), READ, needs_reconcile=True)

    assert outcome == Reconcile(at(15), "HTTP 503 Service Unavailable")


# --- a send that may have taken effect ------------------------------------------------------------


@pytest.mark.parametrize(
    ("error", "words"),
    [
        (server_error(502, "Bad Gateway"), "HTTP 502 Bad Gateway"),
        (server_error(504, "Gateway Timeout"), "HTTP 504 Gateway Timeout"),
        (read_timeout(), f"no response within 10s (POST {URL})"),
    ],
    ids=["502", "504", "read-timeout"],
)
def test_a_send_that_may_have_taken_effect_is_unknown_where_nothing_can_check_it(
    error: VendorError, words: str
) -> None:
    outcome = decide(error, SEND, can_reconcile=False)

    assert outcome == Unknown(f"{words}. {UNKNOWN}")
    assert outcome.needs_reconcile


@pytest.mark.parametrize(
    "error",
    [server_error(502, "Bad Gateway"), server_error(504, "Gateway Timeout"), read_timeout()],
    ids=["502", "504", "read-timeout"],
)
def test_a_send_that_may_have_taken_effect_is_reconciled_where_the_vendor_can_tell(
    error: VendorError,
) -> None:
    outcome = decide(error, SEND, can_reconcile=True, uniform=high)

    assert isinstance(outcome, Reconcile)
    assert outcome.at == at(30)


def test_a_gateway_error_on_a_read_is_only_retried() -> None:
    outcome = decide(server_error(502, "Bad Gateway"), READ)

    assert outcome == Retry(at(15), "HTTP 502 Bad Gateway")


def test_a_connection_that_failed_before_sending_is_sent_again_without_a_read() -> None:
    refused = TransportError(f"connection failed (POST {URL})", sent=False)

    outcome = decide(refused, SEND, can_reconcile=False)

    assert outcome == Retry(at(15), f"connection failed (POST {URL})")


# --- 4xx and actions never retried ----------------------------------------------------------------


def test_a_4xx_fails_at_once_in_the_vendors_words() -> None:
    error = InvalidRequest(
        "user_login: Agent with login 'nie.ma.takiego' does not exist.",
        status=400,
        request_id="5d41402abc4b2a76b9719d911017c592",
    )

    outcome = decide(error, SEND, can_reconcile=True, attempts=1, max_attempts=5)

    assert outcome == Fail(
        "user_login: Agent with login 'nie.ma.takiego' does not exist. "
        "(HTTP 400, request id 5d41402abc4b2a76b9719d911017c592)",
        needs_reconcile=False,
    )


def test_a_4xx_on_the_reconciling_read_leaves_the_send_unsettled() -> None:
    outcome = decide(NotFound("Ticket not found", status=404), READ, needs_reconcile=True)

    assert outcome == Fail("Ticket not found (HTTP 404)", needs_reconcile=True)


def test_an_action_that_is_never_retried_fails_at_once_even_on_a_503() -> None:
    outcome = decide(server_error(503, "Service Unavailable"), READ, retries=False)

    assert outcome == Fail("HTTP 503 Service Unavailable", needs_reconcile=False)


def test_an_action_that_is_never_retried_fails_at_once_on_a_429() -> None:
    assert decide(too_many(), READ, retries=False) == Fail(
        "Too many requests (HTTP 429)", needs_reconcile=False
    )


# --- the account's attempts spent -----------------------------------------------------------------


def test_it_gives_up_after_the_accounts_attempts_in_the_vendors_words() -> None:
    outcome = decide(
        RateLimited("Invalid request; Too many requests", status=429, retry_after=1),
        READ,
        attempts=3,
        max_attempts=3,
    )

    assert outcome == Fail(
        "Gave up after 3 attempts: Invalid request; Too many requests (HTTP 429)",
        needs_reconcile=False,
    )


def test_it_counts_a_single_attempt_in_the_singular() -> None:
    outcome = decide(server_error(503, "Service Unavailable"), READ, attempts=1, max_attempts=1)

    assert outcome == Fail(
        "Gave up after 1 attempt: HTTP 503 Service Unavailable", needs_reconcile=False
    )


def test_it_gives_up_as_unknown_while_a_send_is_unsettled() -> None:
    outcome = decide(
        server_error(500, "Internal Server Error"),
        SEND,
        can_reconcile=True,
        attempts=5,
        max_attempts=5,
    )

    assert outcome == Unknown(
        f"Gave up after 5 attempts: HTTP 500 Internal Server Error. {UNSETTLED}"
    )


def test_it_gives_up_as_unknown_when_the_last_reconciling_read_failed() -> None:
    outcome = decide(
        server_error(503, "Service Unavailable"),
        READ,
        attempts=4,
        max_attempts=4,
        needs_reconcile=True,
    )

    assert outcome == Unknown(
        "Gave up after 4 attempts: HTTP 503 Service Unavailable. "
        "The last request may have reached the vendor; retrying checks at the vendor before "
        "sending it again."
    )


def test_a_4xx_on_the_last_attempt_fails_in_the_vendors_words_without_giving_up() -> None:
    outcome = decide(InvalidRequest("Bad tag", status=422), SEND, attempts=5, max_attempts=5)

    assert outcome == Fail("Bad tag (HTTP 422)", needs_reconcile=False)


def test_an_error_before_any_request_keeps_the_flag_as_it_was() -> None:
    outcome = decide(server_error(503, "Service Unavailable"), None, needs_reconcile=False)

    assert outcome == Retry(at(15), "HTTP 503 Service Unavailable")


# --- a bug -------------------------------------------------------------------------------------


def test_a_bug_before_anything_was_sent_fails_with_its_class_and_words() -> None:
    outcome = outcome_for_bug(
        ValueError("user_login must not be empty"), can_reconcile=False, needs_reconcile=False
    )

    assert outcome == Fail("ValueError: user_login must not be empty", needs_reconcile=False)


@pytest.mark.parametrize(
    ("can_reconcile", "then"), [(True, UNSETTLED), (False, UNKNOWN)], ids=["read", "no-read"]
)
def test_a_bug_after_a_send_is_unknown(can_reconcile: bool, then: str) -> None:
    outcome = outcome_for_bug(
        RuntimeError("boom"), can_reconcile=can_reconcile, needs_reconcile=True
    )

    assert outcome == Unknown(f"RuntimeError: boom. {then}")
