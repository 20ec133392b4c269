"""A service's refusal, and its field errors, as sentences in the reader's language."""

from __future__ import annotations

import re

from web.client import ServiceError
from web.i18n import N_, gettext_in

# Our words for the problem codes the services answer (DESIGN section 4 and each service's api.py).
BY_CODE = {
    "offering_full": N_("This offering is full and keeps no waiting list."),
    "enrolment_closed": N_("Enrolment for this offering is closed."),
    "already_enrolled": N_("You are already enrolled in this offering."),
    "offering_not_found": N_("This offering does not exist, or is not open for enrolment yet; try again in a moment."),
    "version_conflict": N_("Someone else changed this meanwhile."),
    "validation_error": N_("Please correct the marked fields."),
    "duplicate_course_code": N_("A course with this code already exists at this institution."),
    "offering_cancelled": N_("This offering is cancelled and can no longer change."),
    "course_archived": N_("This course is archived."),
    "unauthorized": N_("Please sign in."),
    "forbidden": N_("You may not do that."),
    "not_found": N_("Not found."),
    "service_unavailable": N_("A part of the system is not answering; please try again shortly."),
    "unavailable": N_("A part of the system is not answering; please try again shortly."),
    "rate_limited": N_("Too many attempts; please try again shortly."),
    "bad_idempotency_key": N_("The form could not be sent as it was; please reload the page and try again."),
    "idempotency_key_reused": N_("This form was already sent for something else; please reload the page and "
                                 "try again."),
    "malformed_json": N_("The request was not understood; please reload the page and try again."),
    "payload_too_large": N_("What you sent is too large."),
    "application_required": N_("This offering takes applications: apply for a place instead."),
    "not_by_application": N_("This offering takes no applications: enrol in it directly."),
    "already_applied": N_("You have applied for this offering already."),
    "application_decided": N_("This application has been decided or withdrawn already."),
    "offer_expired": N_("The offer of this seat has expired: you left the waiting list."),
    "no_open_offer": N_("No seat is offered to you on this enrolment any more."),
}
# Our words for a refusal whose code has none of its own (`course_not_found`, `enrolment_not_found`, ...).
BY_STATUS = {401: BY_CODE["unauthorized"], 403: BY_CODE["forbidden"], 404: BY_CODE["not_found"],
             412: BY_CODE["version_conflict"], 429: BY_CODE["rate_limited"], 502: BY_CODE["unavailable"],
             503: BY_CODE["unavailable"]}
# Refusals whose status means to the reader's browser what it meant to us; other 4xx are the request's fault.
KEPT_STATUSES = (401, 403, 404, 409, 429, 503)

# The services' field messages (marshmallow's and our schemas' English), each with our words for it.
# Placeholders are the pattern's named groups. A message not listed here is shown as the service wrote it.
FIELD_MESSAGES = [(re.compile(pattern), message) for pattern, message in (
    (r"Missing data for required field\.|Field may not be null\.", N_("Required.")),
    (r"Length must be between (?P<min>\d+) and (?P<max>\d+)\.", N_("From %(min)s to %(max)s characters.")),
    (r"Shorter than minimum length (?P<min>\d+)\.", N_("At least %(min)s characters.")),
    (r"Longer than maximum length (?P<max>\d+)\.", N_("At most %(max)s.")),
    (r"Must be greater than or equal to (?P<min>[\d.]+) and less than or equal to (?P<max>[\d.]+)\.",
     N_("From %(min)s to %(max)s.")),
    (r"Must be greater than or equal to (?P<min>[\d.]+)\.", N_("At least %(min)s.")),
    (r"Must be greater than or equal to (?P<min>\d{4})-[^ ]+ [^ ]+ and less than or equal to (?P<max>\d{4})-.*",
     N_("A time between the years %(min)s and %(max)s.")),
    (r"Lies outside the years (?P<min>\d+) to (?P<max>\d+) in UTC\.", N_("A time between the years %(min)s and %(max)s.")),
    (r"Not a valid (number|integer)\.|Enter a number\.", N_("Enter a number.")),
    (r"Not a valid (date|datetime)\.|Not a valid aware datetime\.|Enter a date\.", N_("Enter a date.")),
    (r"Not a valid string\.|Not a valid list\.|Invalid input type\.", N_("Not a valid value.")),
    (r"Must be one of: .*", N_("Choose one of the options.")),
    (r"String does not match expected pattern\.", N_("Not in the expected form.")),
    (r"Unknown field\.", N_("Unknown field.")),
    (r"Must be one line, without control characters\.", N_("One line, without control characters.")),
    (r"Must show something: not only spaces or invisible characters\.",
     N_("Cannot be only spaces or invisible characters.")),
    (r"Must not hold control characters other than line breaks and tabs\.",
     N_("No control characters other than line breaks and tabs.")),
    (r"ECTS credits come in steps of 0\.5\.", N_("ECTS credits come in steps of 0.5.")),
    (r"1 to 32 letters, digits, '\.', '_' or '-'\.", N_("1 to 32 letters, digits, “.”, “_” or “-”.")),
    (r"Not an ISCED-F 2013 field code.*", N_("Not an ISCED-F 2013 field code (e.g. 0912 Medicine, "
                                              "0512 Biochemistry).")),
    (r"A course's institution cannot be changed\.", N_("A course's institution cannot be changed.")),
    (r"Like 2027-spring\.", N_("Like 2027-spring.")),
    (r"ends_on must not be before starts_on\.", N_("The course cannot end before it starts.")),
    (r"enrolment_closes_at must be after enrolment_opens_at\.", N_("Enrolment must close after it opens.")),
    (r"enrolment_closes_at must be before the offering ends\.", N_("Enrolment must close before the offering ends.")),
    (r"ends_on is in the past: .*", N_("This date has passed: an offering that has ended cannot be scheduled.")),
    (r"Visiting staff propose the dates of their visit\.", N_("Visiting staff propose the dates of their visit.")),
    (r"Required\.", N_("Required.")),
)]


def error_page_status(error: ServiceError) -> int:
    """The status of the page showing a service's refusal: a 5xx is a 502 (a service behind us failed)."""
    if error.status in KEPT_STATUSES:
        return error.status
    return 502 if error.status >= 500 else 400


def problem_message(error: ServiceError, locale: str) -> str:
    """Our own words for a known problem code or status; the service's detail for anything else."""
    if error.status == 429 and error.retry_after is not None:
        return gettext_in(locale, "Too many attempts; try again in %(seconds)s seconds.", seconds=error.retry_after)
    message = BY_CODE.get(error.code) or BY_STATUS.get(error.status)
    if message:
        return gettext_in(locale, message)
    return gettext_in(locale, "That did not work: %(detail)s", detail=error.detail or error.code)


def field_message(text: str, locale: str) -> str:
    """A field's error (ours or a service's, in English) in the reader's language."""
    for pattern, message in FIELD_MESSAGES:
        match = pattern.fullmatch(text)
        if match:
            return gettext_in(locale, message, **match.groupdict())
    return text


def field_errors_text(error: str | list[str], locale: str) -> str:
    """A field's error (one sentence or a service's several) in the reader's language."""
    return " ".join(field_message(message, locale) for message in ([error] if isinstance(error, str) else error))
