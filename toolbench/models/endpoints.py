"""Several replicas of one model server: least-outstanding-requests choice with cooldowns.

The ``openai`` backend keeps one :class:`EndpointPool` over the ``base_url`` values it was
given. Each call takes the available endpoint with the fewest requests in flight (ties go
round-robin, so sequential calls alternate); an endpoint that failed (after the SDK's own
retries) is out for ``cooldown`` seconds and the call moves to another one. When every
endpoint is cooling down, the one that comes back first is tried rather than failing at once.
Thread-safe: sync workers and event loops share one pool.

>>> pool = EndpointPool(["http://a/v1", "http://b/v1"], cooldown=30.0)
>>> first, second = pool.acquire(), pool.acquire()
>>> first.url, second.url
('http://a/v1', 'http://b/v1')
>>> pool.release(first, failed=True, now=100.0)
>>> pool.release(second)
>>> pool.acquire(now=101.0).url  # a is cooling down until 130
'http://b/v1'
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from toolbench.errors import ConfigError


def split_base_urls(value: str | Iterable[str] | None) -> list[str]:
    """Endpoint URLs from a ``base_url`` option: one URL, a comma-separated string or a list.

    >>> split_base_urls("http://a:8000/v1, http://b:8000/v1")
    ['http://a:8000/v1', 'http://b:8000/v1']
    >>> split_base_urls(["http://a/v1"]), split_base_urls(None)
    (['http://a/v1'], [])
    """
    if value is None:
        return []
    items = value.split(",") if isinstance(value, str) else list(value)
    if not all(isinstance(item, str) for item in items):
        raise ConfigError(f"openai backend: base_url must be a URL, a comma-separated string or a list of URLs, "
                          f"not {value!r}")
    urls = [item.strip() for item in items if item.strip()]
    if len(set(urls)) != len(urls):
        raise ConfigError(f"openai backend: base_url lists a server twice: {', '.join(urls)}")
    return urls


@dataclass
class Endpoint:
    """One server and its counters (changed only under the pool's lock)."""

    url: str | None
    index: int
    outstanding: int = 0
    calls: int = 0
    requests: int = 0
    failures: int = 0
    down_until: float = 0.0

    def counts(self) -> dict[str, int]:
        return {"calls": self.calls, "requests": self.requests, "failures": self.failures}


class EndpointPool:
    """Endpoints of one model; see the module docstring."""

    def __init__(self, urls: list[str | None], *, cooldown: float = 30.0) -> None:
        if not urls:
            raise ConfigError("openai backend: no server given")
        if cooldown < 0:
            raise ConfigError("openai backend: cooldown must be >= 0 seconds")
        self.endpoints = [Endpoint(url, i) for i, url in enumerate(urls)]
        self.cooldown = float(cooldown)
        self._next = 0
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self.endpoints)

    def acquire(self, exclude: Iterable[Endpoint] = (), now: float | None = None) -> Endpoint:
        """The endpoint for the next call (its in-flight count raised); ``exclude`` = already tried.

        Raises ``LookupError`` when every endpoint is excluded.
        """
        now = time.monotonic() if now is None else now
        skip = {e.index for e in exclude}
        with self._lock:
            candidates = [e for e in self._rotated() if e.index not in skip]
            if not candidates:
                raise LookupError("every endpoint has been tried")
            up = [e for e in candidates if e.down_until <= now]
            chosen = min(up, key=lambda e: e.outstanding) if up else min(candidates, key=lambda e: e.down_until)
            self._next = (chosen.index + 1) % len(self.endpoints)
            chosen.outstanding += 1
            chosen.calls += 1
            return chosen

    def _rotated(self) -> list[Endpoint]:
        """Endpoints starting after the last one chosen (``min`` keeps the first of equals)."""
        return self.endpoints[self._next:] + self.endpoints[: self._next]

    def release(self, endpoint: Endpoint, *, failed: bool = False, now: float | None = None) -> None:
        """The call on ``endpoint`` is over; a failure takes it out for the cooldown, a success brings it back."""
        now = time.monotonic() if now is None else now
        with self._lock:
            endpoint.outstanding -= 1
            if failed:
                endpoint.failures += 1
                endpoint.down_until = now + self.cooldown
            else:
                endpoint.down_until = 0.0

    def count_request(self, endpoint: Endpoint) -> None:
        """One HTTP request left for ``endpoint`` (the SDK's retries included)."""
        with self._lock:
            endpoint.requests += 1

    def stats(self) -> dict[str, dict[str, Any]]:
        """Calls, HTTP requests and failures (times taken out) per endpoint URL."""
        with self._lock:
            return {str(e.url): e.counts() for e in self.endpoints}
