"""Deterministic ids and dates for generated and seeded objects: one recipe everywhere, so a
seed gives the same tenant, and the same ids for objects created over HTTP, on every run."""

from __future__ import annotations

import datetime as dt
import random
import uuid

EPOCH_DAYS = 19723  # 2024-01-01, in days since 1970-01-01


def random_guid(rng: random.Random) -> str:
    """A version-4 GUID drawn from ``rng``."""
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def day_stamp(days: int) -> str:
    """A Graph date-time on day ``days`` after 1970-01-01 (the time of day varies with it)."""
    day = dt.date(1970, 1, 1) + dt.timedelta(days=days)
    return f"{day.isoformat()}T{days % 24:02d}:{days % 60:02d}:00Z"
