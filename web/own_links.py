"""The addresses of this site's own pages in a notification's text, made links in the inbox."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from markupsafe import Markup, escape

ADDRESS = re.compile(r"https?://[^\s<>\"']+")


def link_own_pages(text: str | None, host: str) -> Markup:
    """Return the text escaped, each address on this site's `host` a link to that page here (scheme and
    host as the reader came: behind a proxy, WEB_URL's https may reach the app as http). Any other
    address stays text: a notification quotes what people typed, and they must not make links."""
    text = text or ""
    pieces, shown = [], 0
    for found in ADDRESS.finditer(text):
        address = urlsplit(found.group(0))
        if address.netloc != host:
            continue
        page = address.path + (f"?{address.query}" if address.query else "")
        pieces += [escape(text[shown:found.start()]), Markup('<a href="%s">%s</a>') % (page, found.group(0))]
        shown = found.end()
    pieces.append(escape(text[shown:]))
    return Markup("").join(pieces)
