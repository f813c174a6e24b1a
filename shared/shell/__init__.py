"""The imperative shell: observe, plan with ``shared.core``, apply, and report, for each way in.

- ``reconcile`` (the timer and ``python -m shared plan|apply``) and ``request_handler`` (one
  queue message) each read as observe, plan, apply, report or answer;
- ``observe`` and ``observe_intune`` make every read; ``apply`` writes groups and
  ``apply_assignments`` profiles and ESPs, each settling its entries with outcomes;
- ``memory``: what one process remembers; ``report``: what a run did; ``bootstrap``: the
  composition root the functions use.
"""
