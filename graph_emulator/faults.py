"""Fault injection: the throttling, outages, timeouts and dropped connections the app must survive.

Faults are decided once per request, before it is processed, either from a script
("the next N matching requests get this") or at random at a rate. What each kind does
is carried out by the server (see ``server.py``):

* ``429`` / ``503``: answered at once, nothing processed (Retry-After per docs/graph-contract.md,
  rows 16-17).
* ``504-after-commit``: a write is processed and committed, then answered 504, so a client
  that replays it (kiota retries POST) makes a duplicate. On a read it is a plain 504.
* ``drop``: the connection is closed with no answer, before processing.
* ``drop-after-commit``: a write is committed, then the connection is closed unanswered.
  On a read it behaves as ``drop``.
* ``latency``: the request is held ``seconds`` before it is processed normally.
* ``hold`` (scripted with ``Faults.hold``): the request is held until the test releases it, then
  its connection is closed unanswered, before processing: a write that never reached Graph,
  whatever happened to the client meanwhile (a test kills it while it waits).
"""

from __future__ import annotations

import math
import random
import re
import threading
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from email.utils import formatdate

KINDS = ("429", "503", "504-after-commit", "drop", "drop-after-commit", "latency", "hold")
# The kinds a rate may draw from: a hold waits for a test to release it.
RANDOM_KINDS = tuple(kind for kind in KINDS if kind != "hold")
RETRY_AFTER_FORMS = ("seconds", "fractional", "http-date")
# Small values so tests that let the SDK retry stay fast.
_FORM_DEFAULTS = {"seconds": "1", "fractional": "0.25"}


@dataclass(frozen=True)
class Fault:
    """One fault to apply to one request."""

    kind: str
    retry_after: str | None = None
    seconds: float = 0.0
    gate: Hold | None = None  # ``hold``: where the request waits


class Hold:
    """A request held by the emulator: ``arrived`` is set when it comes, and it waits until
    ``release()`` (or ``timeout`` seconds), then is dropped unprocessed."""

    def __init__(self, timeout: float = 120.0) -> None:
        self.arrived = threading.Event()
        self._released = threading.Event()
        self.timeout = timeout

    def wait(self) -> None:
        self.arrived.set()
        self._released.wait(self.timeout)

    def release(self) -> None:
        self._released.set()


@dataclass
class _Script:
    kind: str
    method: str | None
    path: str | re.Pattern[str] | None
    remaining: int
    retry_after: str | None
    seconds: float
    gate: Hold | None = None

    def matches(self, method: str, path: str) -> bool:
        if self.method is not None and self.method.upper() != method:
            return False
        if self.path is None:
            return True
        if isinstance(self.path, re.Pattern):
            return self.path.search(path) is not None
        if self.path in path:
            return True
        try:
            return re.search(self.path, path) is not None
        except re.error:
            return False


def resolve_retry_after(kind: str, retry_after: str | None) -> str | None:
    """Turn a form name (or nothing) into the header value to send; ``"none"`` omits it."""
    if retry_after is None:
        return _FORM_DEFAULTS["seconds"] if kind == "429" else None
    if retry_after == "none":
        return None
    if retry_after == "http-date":
        # At least one whole second ahead, so a client never computes a zero wait.
        return formatdate(math.floor(time.time()) + 2, usegmt=True)
    return _FORM_DEFAULTS.get(retry_after, retry_after)


class Faults:
    """Scripted and random faults; thread-safe, shared by every request handler."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._scripts: list[_Script] = []
        self._rate = 0.0
        self._kinds: tuple[str, ...] = ()
        self._forms: tuple[str, ...] = RETRY_AFTER_FORMS
        self._rate_latency = 0.05
        self._rng = random.Random(0)
        self._counts: Counter[str] = Counter()
        self._latency = 0.0

    def script(
        self,
        kind: str,
        *,
        method: str | None = None,
        path: str | re.Pattern[str] | None = None,
        count: int = 1,
        retry_after: str | None = None,
        seconds: float = 0.0,
    ) -> None:
        """Give the next ``count`` requests matching ``method`` and ``path`` this fault.

        ``path`` is a substring of, or a regex searched in, the percent-decoded URL path
        (e.g. ``"/groups"``). ``retry_after`` is a header value ("2.128", "1", an HTTP-date),
        a form name ("seconds", "fractional", "http-date") or "none".
        """
        _check_kind(kind)
        if kind == "hold":
            raise ValueError("a hold is scripted with Faults.hold(...)")
        if kind == "latency" and seconds <= 0:
            raise ValueError("a latency fault needs seconds=...")
        with self._lock:
            self._scripts.append(_Script(kind, method, path, count, retry_after, seconds))

    def hold(self, *, method: str | None = None, path: str | re.Pattern[str] | None = None) -> Hold:
        """Hold the next request matching ``method`` and ``path`` until released; then drop it
        unprocessed. Returns the ``Hold`` to wait on and release."""
        gate = Hold()
        with self._lock:
            self._scripts.append(_Script("hold", method, path, 1, None, 0.0, gate))
        return gate

    def set_rate(
        self,
        rate: float,
        kinds: Iterable[str] = ("429", "503"),
        seed: int = 0,
        retry_after_forms: Sequence[str] = RETRY_AFTER_FORMS,
        latency_seconds: float = 0.05,
    ) -> None:
        """Inject one of ``kinds`` at random into a ``rate`` share of all requests."""
        kinds = tuple(kinds)
        for kind in kinds:
            _check_kind(kind)
            if kind == "hold":
                raise ValueError("a hold waits for a test to release it: script it with hold()")
        if not 0.0 <= rate <= 1.0:
            raise ValueError("rate must be between 0 and 1")
        if rate > 0 and not kinds:
            raise ValueError("a fault rate needs at least one kind")
        with self._lock:
            self._rate = rate
            self._kinds = kinds
            self._rng = random.Random(seed)
            self._forms = tuple(retry_after_forms) or ("seconds",)
            self._rate_latency = latency_seconds

    def set_latency(self, seconds: float) -> None:
        """Hold every request this long (``--latency-ms``, ``Emulator(latency_seconds=…)``);
        a latency fault adds to it. A setting of the link, not a fault: ``clear`` keeps it."""
        with self._lock:
            self._latency = max(0.0, seconds)

    @property
    def base_latency(self) -> float:
        with self._lock:
            return self._latency

    def clear(self) -> None:
        """Forget scripts and the rate (the counts and the fixed latency are kept)."""
        with self._lock:
            self._scripts.clear()
            self._rate = 0.0
            self._kinds = ()

    def counts(self) -> dict[str, int]:
        with self._lock:
            return dict(self._counts)

    def decide(self, method: str, path: str) -> Fault | None:
        """The fault for this request, if any; counts it as injected."""
        with self._lock:
            fault = self._from_script(method, path) or self._from_rate()
            if fault is not None:
                self._counts[fault.kind] += 1
            return fault

    def _from_script(self, method: str, path: str) -> Fault | None:
        for script in self._scripts:
            if script.remaining > 0 and script.matches(method, path):
                script.remaining -= 1
                if script.remaining == 0:
                    self._scripts.remove(script)
                retry_after = resolve_retry_after(script.kind, script.retry_after)
                return Fault(script.kind, retry_after, script.seconds, script.gate)
        return None

    def _from_rate(self) -> Fault | None:
        if self._rate <= 0 or self._rng.random() >= self._rate:
            return None
        kind = self._rng.choice(self._kinds)
        retry_after = None
        if kind == "429":
            retry_after = resolve_retry_after(kind, self._rng.choice(self._forms))
        seconds = self._rate_latency if kind == "latency" else 0.0
        return Fault(kind, retry_after, seconds)


def _check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise ValueError(f"unknown fault kind {kind!r}; expected one of {', '.join(KINDS)}")
