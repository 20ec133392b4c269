"""Where each service's parts live, so the launcher and workers treat all three alike."""

from __future__ import annotations

import importlib
from typing import Mapping

from shared.config import SERVICES
from shared.consumer import Handler


def app_factory_path(service: str) -> str:
    """Return the gunicorn application path of a service."""
    return f"{service}.app:create_app()"


def handlers_of(service: str) -> Mapping[str, Handler]:
    """Return the event handlers of a service's consumer."""
    if service not in SERVICES:
        raise ValueError(f"unknown service {service!r}")
    return importlib.import_module(f"{service}.handlers").HANDLERS
