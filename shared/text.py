"""What text the services store: rules on characters, shared by the API edge, the fields and the token check.

PostgreSQL refuses NUL in text and cannot encode a lone surrogate (half of a UTF-16 pair, which JSON's
`\\ud800` escapes can carry); SQLite stores both. So both are refused where requests come in, on every
database alike, before anything reaches a query.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
# Single-line text (titles, places, names) has no control characters: a line break in a title could forge
# lines of an email's plain-text part, and a tab or escape code means nothing there.
_CONTROLS = "\x00-\x1f\x7f-\x9f"
CONTROL = re.compile(f"[{_CONTROLS}]")
# Multi-line text keeps line breaks and tabs, nothing else of the C0/C1 controls.
_CONTROLS_BUT_LAYOUT = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"
CONTROL_BUT_LAYOUT = re.compile(f"[{_CONTROLS_BUT_LAYOUT}]")
# The same rules as the OpenAPI documents state them, for clients and schemathesis.
ONE_LINE_PATTERN = f"^[^{_CONTROLS}]*$"
PARAGRAPHS_PATTERN = f"^[^{_CONTROLS_BUT_LAYOUT}]*$"
# What shows nothing on a page: spaces, line breaks, format characters such as zero-width spaces and
# joiners or direction marks, and combining marks with nothing to combine with.
_INVISIBLE_CATEGORIES = {"Zs", "Zl", "Zp", "Cc", "Cf", "Mn", "Me"}


def unstorable_path(value: Any, path: str = "") -> str | None:
    """The dotted path of the first string (or key) in a JSON value that holds NUL or a lone surrogate."""
    if isinstance(value, str):
        return path or "_value" if UNSTORABLE.search(value) else None
    if isinstance(value, dict):
        for key, item in value.items():
            key_path = f"{path}.{shown(key)}" if path else shown(key)
            if UNSTORABLE.search(key):
                return key_path
            found = unstorable_path(item, key_path)
            if found:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = unstorable_path(item, f"{path}.{index}" if path else str(index))
            if found:
                return found
    return None


def shown(text: str) -> str:
    """Text safe to echo in an answer: what cannot be stored or encoded becomes U+FFFD."""
    return UNSTORABLE.sub("\ufffd", text)


def is_blank(text: str) -> bool:
    """Whether a text would show as nothing at all (empty, spaces, zero-width characters)."""
    return all(unicodedata.category(character) in _INVISIBLE_CATEGORIES for character in text)
