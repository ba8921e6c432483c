"""A separate worker process taking tokens from one account's shared bucket.

Run by ``test_multiprocess.py`` as ``python token_taker.py ACCOUNT_ID SECONDS MAX_WAIT`` with the
project on ``PYTHONPATH`` and ``DATABASE_URL`` pointing at the test database. It prints
``ready`` once Django is set up, waits for ``go`` on stdin (so every process starts at the same
moment), then for SECONDS takes tokens as a worker does before each vendor call, and prints the
moment each call was allowed to leave (UNIX seconds), one per line.
"""

from __future__ import annotations

import os
import sys
import time


def main(account_id: int, seconds: float, max_wait: float) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
    import django

    django.setup()
    from backoffice.models import VendorAccount
    from backoffice.operations.ratelimit import RateDeferred, rate_token_take

    account = VendorAccount.objects.get(pk=account_id)
    print("ready", flush=True)
    if sys.stdin.readline().strip() != "go":
        return
    end = time.time() + seconds
    while time.time() < end:
        try:
            wait = rate_token_take(account=account, max_wait=max_wait)
        except RateDeferred as deferred:
            time.sleep(min(0.05, max(0.0, deferred.until.timestamp() - time.time())))
            continue
        allowed_at = time.time() + wait
        time.sleep(wait)
        print(f"{allowed_at:.6f}", flush=True)
        time.sleep(0.02)  # the vendor call itself
    print("done", flush=True)


if __name__ == "__main__":
    main(int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]))
