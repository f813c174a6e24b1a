"""Benchmarks of the app against their floors: ``python -m bench`` (``make bench``).

Every figure is measured side by side with the floor it could reach, in one run on one machine,
and written to BENCHMARKS.md. See ``bench/cli.py`` for the sections and ``bench/reading.md`` for
the hand-written reading of the profile that goes with them.
"""
