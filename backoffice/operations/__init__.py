"""The path of a staff action after the admin: operations queued, dispatched, run and retried.

- ``enqueue``: one transaction writes an ``Operation`` per target; its commit hands them over.
- ``dispatch``: handing operations to the broker after the commit that makes them claimable,
  claimed so that exactly one dispatcher sends each; the sweeper's lost pass.
- ``dispatcher``: the thread in every ``qcluster`` that hands over what is due, twice a second.
- ``runner``: one attempt at one operation in a worker, step by step; ``claim``: taking an
  operation with its lease and giving it back when the cluster stops; ``audit_hooks``: the
  ``ApiCall`` row written before and completed after every vendor request.
- ``outcome``: the retry policy (retry, reconcile first, fail, unknown) and its backoff, pure.
- ``handlers``: what each action does at each vendor, and how it is reconciled after a crash.
- ``ratelimit``: the shared token bucket per account.
"""
