"""The database of the service a request is for."""

from __future__ import annotations

from flask import current_app

from shared.db import Database


def current_database() -> Database:
    """Return the database of the service handling the current request."""
    return current_app.extensions["database"]
