"""A per-key token bucket in memory: a steady rate plus bursts, and the wait for the next token."""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass

from core.errors import LimitExceeded

# Buckets that have refilled completely carry no information; drop them once the table grows this big.
_PRUNE_AT = 10_000


class RateLimited(LimitExceeded):
    """Too many requests in a short time; ``retry_after`` says how many seconds to wait."""

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message, field="rate_limit")
        self.retry_after = retry_after


@dataclass
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    """Allow ``per_minute`` requests per key on average and up to ``burst`` at once; 0 turns it off."""

    def __init__(self, *, per_minute: float, burst: int) -> None:
        if per_minute < 0 or burst < 1:
            raise ValueError("per_minute must be >= 0 and burst >= 1")
        self.per_minute = per_minute
        self.burst = burst
        self._rate = per_minute / 60.0
        self._buckets: dict[object, _Bucket] = {}
        # Checked from the server's worker threads as well as its event loop.
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        """Return whether the limiter refuses anything at all."""
        return self._rate > 0

    def _refill(self, bucket: _Bucket, now: float) -> None:
        bucket.tokens = min(self.burst, bucket.tokens + max(0.0, now - bucket.updated) * self._rate)
        bucket.updated = now

    def acquire(self, key: object, *, now: float, cost: float = 1.0) -> float:
        """Take ``cost`` tokens for ``key`` at monotonic time ``now``; return 0, or the seconds to wait."""
        if not self.enabled:
            return 0.0
        with self._lock:
            bucket = self._buckets.get(key)
            if bucket is None:
                if len(self._buckets) >= _PRUNE_AT:
                    self._prune(now)
                bucket = self._buckets[key] = _Bucket(tokens=float(self.burst), updated=now)
            self._refill(bucket, now)
            if bucket.tokens >= cost:
                bucket.tokens -= cost
                return 0.0
            return (cost - bucket.tokens) / self._rate

    def check(self, key: object, *, now: float, cost: float = 1.0) -> None:
        """Take a token for ``key`` or raise RateLimited with the whole seconds to wait."""
        wait = self.acquire(key, now=now, cost=cost)
        if wait > 0:
            retry = max(1, math.ceil(wait))
            raise RateLimited(
                f"Too many requests for this account: the limit is {self.per_minute:g} per minute with "
                f"bursts of {self.burst}. Retry in {retry} s.",
                retry_after=retry,
            )

    def _prune(self, now: float) -> None:
        for key, bucket in list(self._buckets.items()):
            self._refill(bucket, now)
            if bucket.tokens >= self.burst:
                del self._buckets[key]
