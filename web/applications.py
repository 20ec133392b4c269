"""What the application pages need from enrolment, as plain functions over Services."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from web.client import ServiceError, Services
from web.enrolments import enrolment_is_down
from web.forms import FormErrors, NOT_A_DATE, REQUIRED, service_field_errors

MAX_PAGES = 10  # 1,000 applications: more than anyone writes, or any offering receives


def all_pages(services: Services, path: tuple[str, ...]) -> list[dict[str, Any]]:
    """Every item of a paginated enrolment list."""
    items: list[dict[str, Any]] = []
    for page in range(1, MAX_PAGES + 1):
        answer = services.get("enrolment", path, page=page, per_page=100)
        items += answer.body
        if len(answer.body) < 100:
            break
    return items


def pending_applications_by_offering(services: Services) -> dict[str, dict[str, Any]]:
    """The signed-in person's application awaiting a decision in each offering (an approved one is a seat,
    shown as such); none while enrolment does not answer (the page then offers to apply; enrolment decides)."""
    try:
        mine = all_pages(services, ("applications", "me"))
    except ServiceError as error:
        if not enrolment_is_down(error):
            raise
        return {}
    return {application["offering_id"]: application for application in mine if application["status"] == "pending"}


@dataclass
class Submitted:
    """What became of an application form: sent (the application), or refused (why, per field)."""

    application: dict[str, Any] | None = None
    errors: FormErrors = field(default_factory=dict)
    problem: ServiceError | None = None


def submit_application(services: Services, offering_id: str, form: Mapping[str, str], staff: bool) -> Submitted:
    """Send an application from the form: the motivation, and for visiting staff the proposed dates."""
    motivation = (form.get("motivation") or "").strip()
    starts_on, ends_on = (form.get("starts_on") or "").strip(), (form.get("ends_on") or "").strip()
    errors: FormErrors = {} if motivation else {"motivation": REQUIRED}
    if staff or starts_on or ends_on:
        errors |= {name: NOT_A_DATE for name, value in (("starts_on", starts_on), ("ends_on", ends_on)) if not value}
    if errors:
        return Submitted(errors=errors)
    body: dict[str, Any] = {"offering_id": offering_id, "motivation": motivation}
    if starts_on or ends_on:
        body["proposed_dates"] = {"starts_on": starts_on, "ends_on": ends_on}
    try:
        return Submitted(application=services.post("enrolment", ("applications",), body).body)
    except ServiceError as error:
        if error.status == 401 or error.status >= 500:
            raise
        return Submitted(errors=dates_on_their_fields(service_field_errors(error.errors)), problem=error)


def dates_on_their_fields(errors: FormErrors) -> FormErrors:
    """The service's errors of `proposed_dates` (`proposed_dates_starts_on`, …) on the form's date fields."""
    return {name.removeprefix("proposed_dates_"): problem for name, problem in errors.items()}
