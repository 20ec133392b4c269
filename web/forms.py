"""Turn submitted forms into the services' JSON, and the services' field errors back onto the form.

The services validate everything; these functions only convert types, so a mistyped number is told
next to its field instead of reaching a service as a string.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any, Mapping

from web.i18n import N_
from web.timezones import instant_to_local_input, local_input_to_instant

COURSE_FIELDS = ("code", "institution", "title_en", "title_ru", "description_en", "description_ru", "ects",
                 "level", "language", "isced", "topics", "coordinators")
OFFERING_FIELDS = ("term", "starts_on", "ends_on", "enrolment_opens_at", "enrolment_closes_at", "capacity",
                   "waitlist", "location", "admission", "promotion", "offer_hours")
# The label of each course field, on the form and in the conflict comparison.
FIELD_LABELS = {"code": N_("Code"), "institution": N_("Institution"), "title_en": N_("Title (English)"),
                "title_ru": N_("Title (Russian)"), "description_en": N_("Description (English)"),
                "description_ru": N_("Description (Russian)"), "ects": N_("ECTS credits"), "level": N_("Level"),
                "language": N_("Teaching language (e.g. en, ru)"), "isced": N_("ISCED-F field code (e.g. 0912)"),
                "topics": N_("Topics, separated by commas"),
                "coordinators": N_("Coordinators (user ids, separated by commas)")}
REQUIRED = N_("Required.")
NOT_A_NUMBER = N_("Enter a number.")
NOT_A_DATE = N_("Enter a date.")
# Fields the offering edit form sends: seats have a form of their own, which warns before a cut.
EDITABLE_OFFERING_FIELDS = tuple(name for name in OFFERING_FIELDS if name != "capacity")
# Fields a course edit sends: the institution of a course never changes.
EDITABLE_COURSE_FIELDS = tuple(name for name in COURSE_FIELDS if name != "institution")

# A field's error: our sentence, or the service's sentences; in English, translated where shown.
FormErrors = dict[str, str | list[str]]
# The hidden version of an edit form goes into If-Match: ASCII digits only (str.isdigit() also takes "１" and "²").
VERSION_PATTERN = re.compile(r"[0-9]{1,18}")


def course_form_values(course: Mapping[str, Any]) -> dict[str, str]:
    """Return a course as the edit form shows it."""
    title, description = course.get("title") or {}, course.get("description") or {}
    ects = course.get("ects")
    return {
        "code": course.get("code", ""), "institution": course.get("institution", ""),
        "title_en": title.get("en") or "", "title_ru": title.get("ru") or "",
        "description_en": description.get("en") or "", "description_ru": description.get("ru") or "",
        "ects": "" if ects is None else f"{float(ects):g}", "level": course.get("level", ""),
        "language": course.get("language", ""), "isced": course.get("isced", ""),
        "topics": ", ".join(course.get("topics") or []), "coordinators": ", ".join(course.get("coordinators") or []),
    }


def course_payload(form: Mapping[str, str], fields: tuple[str, ...] = COURSE_FIELDS) -> tuple[dict, FormErrors]:
    """Return the course JSON of a submitted form, and the errors of fields that are not even the right type."""
    values = {name: (form.get(name) or "").strip() for name in fields}
    errors: FormErrors = {}
    payload: dict[str, Any] = {name: values[name] for name in ("code", "institution", "level", "language", "isced")
                               if name in fields}
    payload["title"] = {"en": values["title_en"], "ru": values["title_ru"] or None}
    payload["description"] = {"en": values["description_en"], "ru": values["description_ru"] or None}
    payload["topics"] = split_list(values["topics"])
    payload["coordinators"] = split_list(values["coordinators"])
    payload["ects"], ects_error = finite_number(values["ects"].replace(",", "."))
    if ects_error:
        errors["ects"] = ects_error
    for required in ("code", "title_en", "description_en", "language", "isced"):
        if not values[required]:
            errors[required] = REQUIRED
    return payload, errors


def offering_payload(form: Mapping[str, str], zone: str, fields: tuple[str, ...] = OFFERING_FIELDS
                     ) -> tuple[dict, FormErrors]:
    """Return the offering JSON of a submitted form (only `fields`); date-time fields are read in the
    person's zone."""
    values = {name: (form.get(name) or "").strip() for name in fields}
    errors: FormErrors = {}
    payload: dict[str, Any] = {"term": values["term"], "location": values["location"],
                               "waitlist": values["waitlist"] in ("on", "true", "1")}
    for name in ("starts_on", "ends_on"):
        payload[name] = values[name]
        if not values[name]:
            errors[name] = NOT_A_DATE
    for name in ("enrolment_opens_at", "enrolment_closes_at"):
        payload[name] = local_input_to_instant(values[name], zone)
        if not values[name]:
            errors[name] = NOT_A_DATE
    if "capacity" in fields:
        payload["capacity"], capacity_error = whole_number(values["capacity"])
        if capacity_error:
            errors["capacity"] = capacity_error
    for rule in ("admission", "promotion"):
        if values[rule]:  # a form without the choice leaves the offering's rule as it is
            payload[rule] = values[rule]
    if values["offer_hours"]:
        payload["offer_hours"], hours_error = whole_number(values["offer_hours"])
        if hours_error:
            errors["offer_hours"] = hours_error
    for required in ("term", "location"):
        if not values[required]:
            errors[required] = REQUIRED
    return payload, errors


def offering_form_values(offering: Mapping[str, Any], zone: str) -> dict[str, str]:
    """Return an offering as its edit form shows it: instants as a datetime-local input's value in the zone."""
    values = {name: str(offering.get(name) or "") for name in EDITABLE_OFFERING_FIELDS}
    for name in ("enrolment_opens_at", "enrolment_closes_at"):
        values[name] = instant_to_local_input(values[name], zone)  # "2027-01-18T22:59:00Z" -> "2027-01-18T23:59"
    values["waitlist"] = "on" if offering.get("waitlist") else ""
    values["admission"] = offering.get("admission") or "first_come"
    values["promotion"] = offering.get("promotion") or "automatic"
    return values


def whole_number(raw: str) -> tuple[int | None, str | None]:
    """Return the whole number typed into a field, or the sentence saying why it is not one."""
    try:
        return int(raw.strip()), None
    except (ValueError, AttributeError):
        return None, NOT_A_NUMBER


def loaded_version(form: Mapping[str, str]) -> str | None:
    """The version an edit form was loaded from, or None when it is not a plain number (a tampered form)."""
    version = (form.get("version") or "").strip()
    return version if VERSION_PATTERN.fullmatch(version) else None


def finite_number(raw: str) -> tuple[float | None, str | None]:
    """Return the number typed into a field, or the sentence saying why it is not one.

    float() also reads "nan", "inf" and "1e999"; JSON cannot carry those (httpx refuses to send them),
    so they are as much "not a number" here as "five" is.
    """
    try:
        number = float(raw)
    except ValueError:
        return None, NOT_A_NUMBER
    return (number, None) if math.isfinite(number) else (None, NOT_A_NUMBER)


def split_list(text: str) -> list[str]:
    """`"a, b,,c"` -> `["a", "b", "c"]`."""
    return [item.strip() for item in text.split(",") if item.strip()]


def service_field_errors(errors: Mapping[str, Any]) -> FormErrors:
    """Flatten a service's `errors` onto form field names: `{"title": {"en": [...]}}` on `title_en`, the
    messages of a list's items (`{"topics": {"0": [...]}}`) together on the list's field."""
    flat: FormErrors = {}
    for name, problem in errors.items():
        if isinstance(problem, Mapping) and not all(str(key).isdigit() for key in problem):
            for inner, inner_problem in problem.items():
                flat[f"{name}_{inner}"] = messages_of(inner_problem)
        else:
            flat[name] = messages_of(problem)
    return flat


def messages_of(problem: Any) -> list[str]:
    """A field's messages as a list."""
    if isinstance(problem, Mapping):
        return [message for inner in problem.values() for message in messages_of(inner)]
    if isinstance(problem, list):
        return [str(message) for message in problem]
    return [str(problem)]


# An edit form carries each field as it was loaded in a hidden `original_<field>`, for the merge below.
ORIGINAL_PREFIX = "original_"


@dataclass
class Merge:
    """Your stale edit on top of the version someone else saved meanwhile, field by field."""

    values: dict[str, str]  # the form to show: theirs where you changed nothing, yours where you did
    taken: list[str] = field(default_factory=list)  # fields they changed and you did not: now theirs
    conflicts: list[str] = field(default_factory=list)  # fields you both changed, differently: yours kept


def originals_of(form: Mapping[str, str], fields: tuple[str, ...], prefix: str = ORIGINAL_PREFIX) -> dict[str, str]:
    """The values the edit form was loaded with (fields whose original is missing are left out); with
    `prefix=""`, the fields of a course's form values that an edit form carries as originals."""
    return {name: form[prefix + name] for name in fields if prefix + name in form}


def merge_edit(original: Mapping[str, str], yours: Mapping[str, str], theirs: Mapping[str, str],
               fields: tuple[str, ...]) -> Merge:
    """Three-way merge of a stale edit: keep yours only where you changed a field, take theirs elsewhere.

    Keeping every value of a stale form would write back the old value of each field the other person
    changed and you never touched. A field without its original counts as changed by you: nothing of
    yours is dropped on a guess.
    """
    merge = Merge(values={})
    for name in fields:
        you_changed = name not in original or not same_value(yours.get(name), original[name])
        they_changed = name not in original or not same_value(theirs.get(name), original[name])
        if not you_changed:
            merge.values[name] = theirs.get(name) or ""
            if they_changed:
                merge.taken.append(name)
            continue
        merge.values[name] = yours.get(name) or ""
        if they_changed and not same_value(theirs.get(name), yours.get(name)):
            merge.conflicts.append(name)
    return merge


def same_value(one: str | None, other: str | None) -> bool:
    """Equal as form values: browsers send a textarea's line breaks as CRLF and may keep stray spaces."""
    def normalised(text: str | None) -> str:
        return (text or "").replace("\r\n", "\n").strip()
    return normalised(one) == normalised(other)
