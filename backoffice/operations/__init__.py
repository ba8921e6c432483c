"""The path of a staff action after the admin: operations queued, dispatched, run and retried.

- ``enqueue``: one transaction writes an ``Operation`` per target and hands its task to the broker.
- ``dispatch``: handing operations to the broker, the fan-out of large bulk actions, the sweeper.
- ``runner``: one attempt at one operation in a worker (claim, rate limit, audit, outcome).
- ``handlers``: what each action does at each vendor, and how it is reconciled after a crash.
- ``ratelimit`` / ``retry``: the shared token bucket per account and the backoff policy.
"""
