"""Remembering recent ids, so Slack's retries and double deliveries are processed once."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable


class RecentIds:
    """A bounded set of ids seen in the last ``ttl`` seconds (oldest forgotten first)."""

    def __init__(
        self, *, ttl: float = 3600.0, max_size: int = 50_000, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._seen: OrderedDict[str, float] = OrderedDict()
        self._ttl, self._max_size, self._clock = ttl, max_size, clock

    def first_time(self, key: str) -> bool:
        """Record ``key``; return True only the first time it is seen within the window."""
        now = self._clock()
        while self._seen:
            oldest, at = next(iter(self._seen.items()))
            if now - at < self._ttl and len(self._seen) < self._max_size:
                break
            self._seen.pop(oldest)
        if key in self._seen:
            return False
        self._seen[key] = now
        return True

    def __contains__(self, key: str) -> bool:
        return key in self._seen
