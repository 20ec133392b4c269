"""A service's refusal as a sentence in the reader's language."""

from __future__ import annotations

from web.client import ServiceError
from web.messages import MESSAGES, translate


def problem_message(error: ServiceError, locale: str) -> str:
    """Our own words for a known problem code; the service's detail for anything else."""
    key = f"problem_{error.code}"
    if key in MESSAGES:
        return translate(key, locale)
    return translate("problem_other", locale, detail=error.detail or error.code)
