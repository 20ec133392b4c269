"""Rate limits per caller (the `limits` library behind Flask-Limiter), answered as problem+json 429.

Each app holds its own limiter, so its storage follows the app's settings: `memory://` counts per
process (a gunicorn worker), a shared `redis://` URL counts across every worker and container.
"""

from __future__ import annotations

import logging
import math
import time

from flask import Flask, current_app, request
from limits import RateLimitItem, parse_many
from limits.errors import StorageError
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter
from redis.exceptions import RedisError

from shared.http.auth import current_principal
from shared.http.errors import Problem

log = logging.getLogger(__name__)


class RateLimits:
    """The limits one app enforces, by name, over one storage."""

    def __init__(self, storage_url: str, limits: dict[str, str]):
        self.limiter = MovingWindowRateLimiter(storage_from_string(storage_url))
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
