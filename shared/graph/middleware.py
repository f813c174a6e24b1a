"""The HTTP middleware this app adds to msgraph-sdk's pipeline, and nothing it does not need.

- Retry-After is honoured in every documented form. kiota-http's RetryHandler reads whole seconds
  and HTTP-dates but not fractional seconds such as Microsoft's own example "2.128": it falls back
  to its exponential backoff. ``GraphRetryHandler`` reads all three.
- A dropped connection or a timeout is retried too. kiota retries only on status codes, and every
  request this app sends is safe to replay (reads, the upsert on a fixed key, a PATCH by id).
- ``RequestCounter`` counts what really went over the wire, retries included.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import math
import random
from email.utils import parsedate_to_datetime

import httpx
from kiota_http.middleware import BaseMiddleware, RedirectHandler, RetryHandler
from kiota_http.middleware.options import RetryHandlerOption
from msgraph_core.middleware import GraphTelemetryHandler

log = logging.getLogger(__name__)


def parse_retry_after(value: str | None, now: dt.datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header: whole, fractional, or an HTTP-date."""
    if not value:
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        pass
    else:
        return max(0.0, seconds) if math.isfinite(seconds) else None
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    current = now or dt.datetime.now(dt.UTC)
    return max(0.0, (when - current).total_seconds())


class GraphRetryHandler(RetryHandler):  # type: ignore[misc]
    """kiota's RetryHandler, reading Retry-After in all three documented forms."""

    def get_delay_time(
        self,
        retry_count: int,
        response: httpx.Response | None = None,
        delay: float = RetryHandlerOption.DEFAULT_DELAY,
    ) -> float:
        retry_after = parse_retry_after(response.headers.get("retry-after") if response else None)
        if retry_after is not None:
            return retry_after
        return float(super().get_delay_time(retry_count, None, delay))


class TransportRetryHandler(BaseMiddleware):  # type: ignore[misc]
    """Replays a request whose connection dropped or timed out, with backoff."""

    def __init__(self, max_retries: int, base_delay: float) -> None:
        super().__init__()
        self.max_retries = max_retries
        self.base_delay = base_delay

    async def send(
        self, request: httpx.Request, transport: httpx.AsyncBaseTransport
    ) -> httpx.Response:
        attempt = 0
        while True:
            try:
                response: httpx.Response = await super().send(request, transport)
                return response
            except httpx.TransportError as error:
                if attempt >= self.max_retries:
                    raise
                attempt += 1
                wait = self.base_delay * 2 ** (attempt - 1) + random.uniform(0, self.base_delay)
                log.warning(
                    "graph: %s %s failed (%s); retry %d of %d in %.2fs",
                    request.method,
                    request.url.path,
                    type(error).__name__,
                    attempt,
                    self.max_retries,
                    wait,
                )
                await asyncio.sleep(wait)


class RequestCounter(BaseMiddleware):  # type: ignore[misc]
    """Counts the HTTP requests really sent, retries included, for reports and benchmarks."""

    def __init__(self) -> None:
        super().__init__()
        self.sent = 0

    async def send(
        self, request: httpx.Request, transport: httpx.AsyncBaseTransport
    ) -> httpx.Response:
        self.sent += 1
        response: httpx.Response = await super().send(request, transport)
        return response


def pipeline(max_retries: int, retry_delay: float, counter: RequestCounter) -> list[BaseMiddleware]:
    """The app's middleware, in the order a request passes through it.

    Authentication is not middleware: the request adapter signs each request before it enters.
    Left out of kiota's default pipeline on purpose: parameter-name decoding (Graph decodes
    ``%24select`` itself), the ``/me`` URL replacement, header inspection and kiota's user agent.
    Kept: msgraph-core's telemetry handler, which sends the SDK's version header to Graph hosts.
    """
    options = RetryHandlerOption(delay=retry_delay, max_retries=max_retries)
    return [
        GraphTelemetryHandler(),
        RedirectHandler(),
        GraphRetryHandler(options),
        TransportRetryHandler(max_retries, max(retry_delay, 0.01)),
        counter,
    ]
