"""The reader's language (remembered in a cookie) and dates written the way it writes them."""

from __future__ import annotations

from datetime import date

from babel.dates import format_date
from flask import Request

from shared.http.auth import LOCALES

LOCALE_COOKIE = "locale"
LOCALE_COOKIE_SECONDS = 365 * 24 * 3600


def choose_locale(request: Request, token_locale: str | None) -> str:
    """The cookie's choice, else the signed-in person's, else the browser's, else English."""
    chosen = request.cookies.get(LOCALE_COOKIE)
    if chosen in LOCALES:
        return chosen
    if token_locale in LOCALES:
        return token_locale
    return request.accept_languages.best_match(LOCALES) or "en"


def localised(text: dict | None, locale: str) -> str:
    """The text of a `{"en": …, "ru": …}` field in the reader's language, English when it has none."""
    if not text:
        return ""
    return text.get(locale) or text.get("en") or ""


def long_date(value: str | None, locale: str) -> str:
    """`2027-02-08` as "8 февраля 2027 г." or "February 8, 2027"."""
    if not value:
        return ""
    try:
        return format_date(date.fromisoformat(value[:10]), format="long", locale=locale)
    except ValueError:
        return value
