"""How the notification service reacts to events (the messages come with their own issue)."""

from __future__ import annotations

HANDLERS: dict = {}
