"""The shared token bucket: burst, refill, deferral, the vendor's pause; and what a staff member
sees when a bulk action meets the limit."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from backoffice.models import Operation, RateBucket, User, VendorAccount
from backoffice.operations import ratelimit
from backoffice.operations.enqueue import operations_enqueue
from backoffice.operations.ratelimit import (
    BucketShape,
    RateDeferred,
    RateLimiterHook,
    rate_limit_pause,
    rate_token_take,
)
from connectors.sandbox.testing import SandboxHandle
from tests.factories import ContactFactory, HelpCrunchAccountFactory, ThuliumAccountFactory

pytestmark = pytest.mark.django_db

# The refill of a 60-a-minute account, per second.
R = 58 / 60
T0 = datetime(2026, 6, 1, 9, 0, tzinfo=timezone.get_fixed_timezone(0))


def _at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


@pytest.fixture
def account() -> VendorAccount:
    """60 calls a minute: a burst of 1, then 58 a minute (1 + 58 = 59, one call of margin)."""
    return ThuliumAccountFactory(rate_limit_per_minute=60)


@pytest.mark.parametrize(
    ("limit", "burst", "refill"),
    [(60, 1, 58 / 60), (120, 1, 118 / 60), (100, 1, 98 / 60), (5, 1, 3 / 60), (1, 1, 1 / 60)],
)
def test_it_sizes_the_bucket_so_no_minute_holds_more_than_the_limit(
    limit: int, burst: float, refill: float
) -> None:
    shape = BucketShape.for_limit(limit)

    assert (shape.burst, shape.refill_per_second) == (burst, pytest.approx(refill))
    assert shape.burst + 60 * shape.refill_per_second <= max(limit, 2)


def test_it_allows_the_burst_at_once_then_spaces_the_calls(account: VendorAccount) -> None:
    assert rate_token_take(account=account, now=_at(0)) == 0.0

    # The 2nd token is 1/R s away: close enough to reserve and wait for.
    assert rate_token_take(account=account, now=_at(0)) == pytest.approx(1 / R)
    assert rate_token_take(account=account, now=_at(0)) == pytest.approx(2 / R)
    assert RateBucket.objects.get(account=account).tokens == pytest.approx(-2)


def test_it_defers_a_call_whose_token_is_further_than_the_longest_wait(
    account: VendorAccount, settings: object
) -> None:
    rate_token_take(account=account, now=_at(0))

    with pytest.raises(RateDeferred) as deferred:
        rate_token_take(account=account, now=_at(0), max_wait=1.0)

    assert deferred.value.until == _at(1 / R)
    assert str(deferred.value) == f"{account.name} is at its rate limit (60/min)"
    bucket = RateBucket.objects.get(account=account)
    assert bucket.tokens == pytest.approx(0)  # a deferral takes nothing
    # The next call deferred comes back a turn later, not at the same moment.
    with pytest.raises(RateDeferred) as second:
        rate_token_take(account=account, now=_at(0.5), max_wait=0.0)
    assert second.value.until == _at(2 / R)


def test_it_refills_continuously_up_to_the_burst(account: VendorAccount) -> None:
    rate_token_take(account=account, now=_at(0))

    assert rate_token_take(account=account, now=_at(0.5), max_wait=1) == pytest.approx(
        (1 - 0.5 * R) / R
    )  # half a token refilled: the rest is a moment away
    # A long quiet spell refills to the burst, never beyond it.
    assert rate_token_take(account=account, now=_at(600), max_wait=0) == 0.0
    with pytest.raises(RateDeferred):
        rate_token_take(account=account, now=_at(600), max_wait=0)


def test_it_pauses_every_call_until_the_vendors_retry_after(account: VendorAccount) -> None:
    until = rate_limit_pause(account=account, seconds=120, now=_at(0))

    assert until == _at(120)
    with pytest.raises(RateDeferred) as deferred:
        rate_token_take(account=account, now=_at(119))
    assert deferred.value.until == _at(120)
    assert "is paused by the vendor's rate limit until" in str(deferred.value)
    # After the pause the bucket starts empty: the vendor's window was full.
    assert rate_token_take(account=account, now=_at(121)) == pytest.approx((1 - R) / R)


def test_it_never_shortens_a_pause_and_pauses_a_minute_without_retry_after(
    account: VendorAccount,
) -> None:
    rate_limit_pause(account=account, seconds=300, now=_at(0))

    assert rate_limit_pause(account=account, seconds=10, now=_at(1)) == _at(300)
    other = HelpCrunchAccountFactory()
    assert rate_limit_pause(account=other, seconds=None, now=_at(0)) == _at(60)


def test_it_does_not_count_the_same_refill_twice_for_a_late_clock(
    account: VendorAccount,
) -> None:
    """A worker whose clock reads earlier than the last refill (another machine, or a reading
    taken before waiting for the row lock) must not move the refill time back."""
    rate_token_take(account=account, now=_at(0))
    rate_token_take(account=account, now=_at(10), max_wait=0)  # refilled to the burst, taken

    rate_token_take(account=account, now=_at(5), max_wait=10)  # a late reading: reserves ahead

    # At 11 s less than a token was earned since 10 s, and one was reserved: nothing to give.
    with pytest.raises(RateDeferred):
        rate_token_take(account=account, now=_at(11), max_wait=0)


def test_it_waits_a_moment_in_the_worker_but_never_through_a_deferral(
    account: VendorAccount, monkeypatch: pytest.MonkeyPatch
) -> None:
    slept: list[float] = []
    monkeypatch.setattr(ratelimit.time, "sleep", slept.append)
    hook = RateLimiterHook(account)
    for _ in range(2):
        hook()
    assert len(slept) == 1
    assert slept[0] == pytest.approx(1 / R, abs=0.05)

    rate_limit_pause(account=account, seconds=30)
    with pytest.raises(RateDeferred):
        hook()
    assert len(slept) == 1


def test_it_defers_the_rest_of_a_bulk_action_beyond_the_limit(
    sandbox: SandboxHandle, owner: User, bony_sandbox: VendorAccount, settings: object
) -> None:
    bony_sandbox.rate_limit_per_minute = 6  # a burst of one, then one every 15 s
    bony_sandbox.save()
    contacts = [
        ContactFactory(account=bony_sandbox, vendor_id=vendor_id)
        for vendor_id in list(sandbox.state.bony["sandbox"].contacts)[:3]
    ]
    started = timezone.now()

    enqueued = operations_enqueue(
        actor=owner, action="add_tags", targets=contacts, params={"tags": [{"name": "vip"}]}
    )

    first, *rest = Operation.objects.filter(pk__in=enqueued.operation_ids).order_by("pk")
    assert first.state == Operation.State.SUCCEEDED
    for op in rest:
        assert op.state == Operation.State.RETRYING
        assert op.attempts == 0
        assert op.last_error == f"Waiting: {bony_sandbox.name} is at its rate limit (6/min)."
        assert op.next_attempt_at is not None
        assert op.next_attempt_at >= started + timedelta(seconds=11)
        assert not op.api_calls.exists()
    assert len(sandbox.received("bony")) == 1
