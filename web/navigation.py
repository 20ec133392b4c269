"""Where to send the reader next."""

from __future__ import annotations

from urllib.parse import urlsplit


def safe_next(target: str | None, default: str = "/") -> str:
    """Return `target` if it is a path on this site, else `default` (no open redirects)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    if any(ord(character) < 0x20 or ord(character) == 0x7f for character in target):
        return default  # a CR or LF would end the Location header (werkzeug refuses it with a 500)
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return default
    return target
