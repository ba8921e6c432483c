"""The path of a staff action after the admin: operations queued, dispatched, run and retried.

- ``enqueue``: one transaction writes an ``Operation`` per target; its commit hands them over.
- ``dispatch``: handing operations to the broker after the commit that makes them claimable,
  claimed so that exactly one dispatcher sends each; the sweeper's lost pass.
- ``dispatcher``: the thread in every ``qcluster`` that hands over what is due, twice a second.
- ``runner``: one attempt at one operation in a worker (claim, rate limit, audit, outcome).
- ``handlers``: what each action does at each vendor, and how it is reconciled after a crash.
- ``ratelimit`` / ``retry``: the shared token bucket per account and the backoff policy.
"""
