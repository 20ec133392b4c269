"""Demo sign-in sessions kept on the server: the cookie carries a random session id, never the token.

Signing out deletes the session here, so a copy of the cookie (another tab, a shared computer, a
stolen cookie) is worth nothing afterwards; with the token in the cookie it would have worked until
the token expired. The store is a folder every gunicorn worker of the front end shares (cachelib's
file cache). Only development's demo sign-in uses it: elsewhere the identity-aware proxy holds the session.
"""

from __future__ import annotations

import secrets
from pathlib import Path

from cachelib import FileSystemCache

from shared.auth import MAX_TOKEN_LIFETIME


class SessionTokens:
    """The bearer token of each signed-in demo session, by session id."""

    def __init__(self, folder: Path):
        self.cache = FileSystemCache(str(folder), threshold=0,  # no eviction: that would sign people out
                                     default_timeout=int(MAX_TOKEN_LIFETIME.total_seconds()))

    def start(self, token: str) -> str:
        """Keep the token of a new session; return the session's id for the cookie."""
        session_id = secrets.token_urlsafe(32)
        self.cache.set(session_id, token)
        return session_id

    def token_of(self, session_id: str | None) -> str | None:
        return self.cache.get(session_id) if session_id else None

    def end(self, session_id: str | None) -> None:
        if session_id:
            self.cache.delete(session_id)
