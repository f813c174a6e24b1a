"""The imperative shell: observe, plan with ``shared.core``, apply, and report, for each way in.

- ``reconcile`` (the timer and ``python -m shared plan|apply``) and ``request`` (one queue
  message) share ``observe``, ``apply`` and ``memory``;
- ``report``: what a run did; ``bootstrap``: the composition root the functions use;
- ``cli``: ``python -m shared``; ``grant``: the managed identity's Graph app roles.
"""
