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
    return _service_module(service, "handlers").HANDLERS


def app_module(service: str):
    """Return the module holding a service's create_app."""
    return _service_module(service, "app")


def _service_module(service: str, name: str):
    if service not in SERVICES:
        raise ValueError(f"unknown service {service!r}")
    return importlib.import_module(f"{service}.{name}")
