"""The pipeline: a staff action's operations queued, dispatched, run and retried. It knows the
actions only through ``action`` and ``registry``; each action's rules are its module in
``backoffice.actions``.

- ``action``: what an action is to the pipeline (``Action``, ``Handler`` per vendor, ``Run``,
  ``Done``, ``Refused``, ``SkipTarget``, ...); ``registry``: every action by name.
- ``enqueue``: the one path to queued operations (whom an action skips, asked once per target);
  one transaction writes an ``Operation`` per target and its commit hands them over.
- ``dispatch``: handing operations to the broker after the commit that makes them claimable,
  claimed so that exactly one dispatcher sends each; the sweeper's lost pass.
- ``dispatcher``: the thread in every ``qcluster`` that hands over what is due, twice a second.
- ``runner``: one run of one operation in a worker, step by step; ``claim``: taking an
  operation with its lease and giving it back when the cluster stops; ``audit_hooks``: the
  ``ApiCall`` row written before and completed after every vendor request.
- ``outcome``: the retry policy (retry, reconcile first, fail, unknown) and its backoff, pure.
- ``ratelimit``: the shared token bucket per account.
"""
