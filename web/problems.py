"""A service's refusal as a sentence in the reader's language."""

from __future__ import annotations

from web.client import ServiceError
from web.messages import MESSAGES, translate


# Our words for a refusal whose code has none of its own (`course_not_found`, `enrolment_not_found`, ...).
BY_STATUS = {401: "problem_unauthorized", 403: "problem_forbidden", 404: "problem_not_found",
             412: "problem_version_conflict", 429: "problem_rate_limited", 502: "problem_service_unavailable",
             503: "problem_service_unavailable"}
# Refusals whose status means to the reader's browser what it meant to us; other 4xx are the request's fault.
KEPT_STATUSES = (401, 403, 404, 409, 429, 503)


def error_page_status(error: ServiceError) -> int:
    """The status of the page showing a service's refusal: a 5xx is a 502 (a service behind us failed)."""
    if error.status in KEPT_STATUSES:
        return error.status
    return 502 if error.status >= 500 else 400


def problem_message(error: ServiceError, locale: str) -> str:
    """Our own words for a known problem code or status; the service's detail for anything else."""
    if error.status == 429 and error.retry_after is not None:
        return translate("problem_rate_limited_in", locale, seconds=error.retry_after)
    key = f"problem_{error.code}"
    if key not in MESSAGES:
        key = BY_STATUS.get(error.status, "")
    if key in MESSAGES:
        return translate(key, locale)
    return translate("problem_other", locale, detail=error.detail or error.code)
