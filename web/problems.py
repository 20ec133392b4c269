"""A service's refusal as a sentence in the reader's language."""

from __future__ import annotations

from web.client import ServiceError
from web.messages import MESSAGES, translate


# Our words for a refusal whose code has none of its own (`course_not_found`, `enrolment_not_found`, ...).
BY_STATUS = {401: "problem_unauthorized", 403: "problem_forbidden", 404: "problem_not_found",
             412: "problem_version_conflict", 502: "problem_service_unavailable", 503: "problem_service_unavailable"}


def problem_message(error: ServiceError, locale: str) -> str:
    """Our own words for a known problem code or status; the service's detail for anything else."""
    key = f"problem_{error.code}"
    if key not in MESSAGES:
        key = BY_STATUS.get(error.status, "")
    if key in MESSAGES:
        return translate(key, locale)
    return translate("problem_other", locale, detail=error.detail or error.code)
