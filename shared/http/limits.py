"""Rate limits per caller (the `limits` library behind Flask-Limiter), answered as problem+json 429.

Each app holds its own limiter, so its storage follows the app's settings: `memory://` counts per
process (a gunicorn worker, ProcessMovingWindow), a shared `redis://` URL counts across every worker and
container.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections import deque

from flask import Flask, current_app, request
from limits import RateLimitItem, WindowStats, parse_many
from limits.errors import StorageError
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter
from redis.exceptions import RedisError

from shared.http.auth import current_principal
from shared.http.errors import Problem

log = logging.getLogger(__name__)

# How often the in-process store drops the keys of callers whose attempts have all left their windows.
SWEEP_SECONDS = 60


class ProcessMovingWindow:
    """The moving window of limits' MovingWindowRateLimiter for `memory://`: each caller's attempts in this
    process, oldest first, trimmed to the window when the caller comes back; idle callers dropped once a minute.

    It stands in for limits' MemoryStorage, which after each attempt started a thread that walked every
    key it held: a fifth of an enrolment's CPU in the seat rush, a thousand students per worker.
    """

    def __init__(self) -> None:
        self._attempts: dict[str, tuple[int, deque[float]]] = {}  # key: (its window in seconds, attempts)
        self._lock = threading.Lock()  # gunicorn may run threads (GUNICORN_THREADS)
        self._next_sweep = time.time() + SWEEP_SECONDS

    def hit(self, item: RateLimitItem, *identifiers: str) -> bool:
        """Count an attempt unless the item's window already holds as many as it allows."""
        now = time.time()
        with self._lock:
            if now >= self._next_sweep:
                self._sweep(now)
            attempts = self._in_window(item, identifiers, now)
            if len(attempts) >= item.amount:
                return False
            attempts.append(now)
            return True

    def get_window_stats(self, item: RateLimitItem, *identifiers: str) -> WindowStats:
        """Return when the window frees a place (its oldest attempt leaves it), and how many are left."""
        now = time.time()
        with self._lock:
            attempts = self._in_window(item, identifiers, now)
            return WindowStats((attempts[0] if attempts else now) + item.get_expiry(), item.amount - len(attempts))

    def _in_window(self, item: RateLimitItem, identifiers: tuple[str, ...], now: float) -> deque[float]:
        expiry = item.get_expiry()
        attempts = self._attempts.setdefault(item.key_for(*identifiers), (expiry, deque()))[1]
        while attempts and attempts[0] < now - expiry:
            attempts.popleft()
        return attempts

    def _sweep(self, now: float) -> None:
        self._attempts = {key: (expiry, attempts) for key, (expiry, attempts) in self._attempts.items()
                          if attempts and attempts[-1] >= now - expiry}
        self._next_sweep = now + SWEEP_SECONDS


class RateLimits:
    """The limits one app enforces, by name, over one storage."""

    def __init__(self, storage_url: str, limits: dict[str, str]):
        self.limiter = (ProcessMovingWindow() if storage_url.startswith("memory://")
                        else MovingWindowRateLimiter(storage_from_string(storage_url)))
        self.items: dict[str, list[RateLimitItem]] = {name: parse_many(value) for name, value in limits.items()}

    def hit(self, name: str, caller: str) -> None:
        """Count one attempt of the caller; refuse it with 429 once any window of the limit is full.

        A store that cannot be reached (Redis down) lets the attempt through: the limit guards the
        service, and must not become the reason nobody can enrol.
        """
        try:
            for item in self.items[name]:
                if not self.limiter.hit(item, name, caller):
                    raise _too_many(item, self.limiter.get_window_stats(item, name, caller).reset_time)
        except (StorageError, RedisError) as exc:
            log.warning("rate-limit store unavailable (%s); %s not counted", type(exc).__name__, name)


def _too_many(item: RateLimitItem, reset_at: float) -> Problem:
    wait = max(1, math.ceil(reset_at - time.time()))
    return Problem(429, "rate_limited", f"Too many attempts ({item}); try again in {wait} seconds.",
                   headers={"Retry-After": str(wait)})


def install_rate_limits(app: Flask, storage_url: str, limits: dict[str, str]) -> None:
    app.extensions["rate_limits"] = RateLimits(storage_url, limits)


def count_attempt(name: str) -> None:
    """Count an attempt of the caller (by user id, else address) against the app's limit `name`.

    Views call it where an attempt really starts, so that what is not one (an idempotent replay
    of a stored answer) is not counted; they document the 429 with `problems("rate_limited")`.
    """
    principal = current_principal()
    caller = f"user:{principal.id}" if principal else f"address:{request.remote_addr}"
    current_app.extensions["rate_limits"].hit(name, caller)
