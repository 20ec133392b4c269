"""Rate limits per caller (the `limits` library behind Flask-Limiter), answered as problem+json 429.

Each app holds its own limiter, so its storage follows the app's settings: `memory://` counts per
process (a gunicorn worker), a shared `redis://` URL counts across every worker and container.
"""

from __future__ import annotations

import math
import time
from functools import wraps
from typing import Callable

from flask import Flask, current_app, request
from limits import RateLimitItem, parse_many
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from shared.auth import current_principal
from shared.errors import GENERAL_PROBLEMS, Problem, documents_problems


class RateLimits:
    """The limits one app enforces, by name, over one storage."""

    def __init__(self, storage_url: str, limits: dict[str, str]):
        self.limiter = MovingWindowRateLimiter(storage_from_string(storage_url))
        self.items: dict[str, list[RateLimitItem]] = {name: parse_many(value) for name, value in limits.items()}

    def hit(self, name: str, caller: str) -> None:
        """Count one attempt of the caller; refuse it with 429 once any window of the limit is full."""
        for item in self.items[name]:
            if not self.limiter.hit(item, name, caller):
                reset_at = self.limiter.get_window_stats(item, name, caller).reset_time
                wait = max(1, math.ceil(reset_at - time.time()))
                raise Problem(429, "rate_limited",
                              f"Too many attempts ({item}); try again in {wait} seconds.",
                              headers={"Retry-After": str(wait)})


def install_rate_limits(app: Flask, storage_url: str, limits: dict[str, str]) -> None:
    app.extensions["rate_limits"] = RateLimits(storage_url, limits)


def rate_limited(name: str) -> Callable:
    """Decorate a view: each call counts against the caller's limit `name` (by user, else address)."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(*args, **kwargs):
            principal = current_principal()
            caller = f"user:{principal.id}" if principal else f"address:{request.remote_addr}"
            current_app.extensions["rate_limits"].hit(name, caller)
            return view(*args, **kwargs)

        return documents_problems(GENERAL_PROBLEMS, "rate_limited")(wrapper)

    return decorator
