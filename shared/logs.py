"""JSON logs that carry the correlation id from request to outbox to consumer."""

from __future__ import annotations

import logging
import sys
import uuid
from contextlib import contextmanager
from contextvars import ContextVar, Token
from typing import Iterator

from pythonjsonlogger.json import JsonFormatter

_correlation_id: ContextVar[str | None] = ContextVar("correlation_id", default=None)


def current_correlation_id() -> str | None:
    """Return the correlation id of the work in progress, if any."""
    return _correlation_id.get()


def new_correlation_id() -> str:
    return uuid.uuid4().hex


def bind_correlation_id(correlation_id: str) -> Token:
    """Make `correlation_id` current until `unbind_correlation_id` is called with the token."""
    return _correlation_id.set(correlation_id)


def unbind_correlation_id(token: Token) -> None:
    _correlation_id.reset(token)


@contextmanager
def correlation(correlation_id: str | None) -> Iterator[str]:
    """Run a block of work under a correlation id (a new one when none is given)."""
    value = correlation_id or new_correlation_id()
    token = bind_correlation_id(value)
    try:
        yield value
    finally:
        unbind_correlation_id(token)


class _ContextFilter(logging.Filter):
    def __init__(self, service: str):
        super().__init__()
        self.service = service

    def filter(self, record: logging.LogRecord) -> bool:
        record.service = self.service
        record.correlation_id = _correlation_id.get()
        return True


def configure_logging(service: str, level: str = "INFO") -> None:
    """Send every log record of this process to stderr as one JSON object a line."""
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(_ContextFilter(service))
    handler.setFormatter(JsonFormatter(
        "%(asctime)s %(levelname)s %(name)s %(message)s %(service)s %(correlation_id)s",
        rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
    ))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # kombu and amqp are chatty at INFO about every reconnect attempt they retry themselves.
    for noisy in ("amqp", "kombu"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
