"""The catalogue's codes as words in the reader's language: terms, levels, statuses, roles, languages, topics."""

from __future__ import annotations

import re
from typing import Any

from babel import Locale, UnknownLocaleError

from web.i18n import C_, N_, gettext_in, pgettext_in
from shared.timezones import UNKNOWN_ZONE
from web.language import long_date
from web.timezones import local_time

TERM_PATTERN = re.compile(r"(\d{4})-(spring|summer|autumn|winter)")
# Russian writes seasons in lower case ("весна 2027"), English capitalises them ("Spring 2027").
SEASONS = {"spring": N_("Spring %(year)s"), "summer": N_("Summer %(year)s"), "autumn": N_("Autumn %(year)s"),
           "winter": N_("Winter %(year)s")}
LEVELS = {"bachelor": N_("Bachelor"), "master": N_("Master"), "phd": N_("PhD"), "staff": N_("Staff")}
# Statuses by what they describe: Russian words agree with it (курс опубликован, набор отменён, запись отменена).
STATUSES = {
    "course": {"draft": C_("course", "Draft"), "published": C_("course", "Published"),
               "archived": C_("course", "Archived")},
    "offering": {"scheduled": C_("offering", "Scheduled"), "cancelled": C_("offering", "Cancelled")},
    "enrolment": {"confirmed": C_("enrolment", "Confirmed"), "waitlisted": C_("enrolment", "Waiting list"),
                  "offered": C_("enrolment", "Seat offered"), "cancelled": C_("enrolment", "Cancelled"),
                  "expired": C_("enrolment", "Offer expired")},
    "application": {"pending": C_("application", "Awaiting a decision"), "approved": C_("application", "Approved"),
                    "declined": C_("application", "Declined"), "withdrawn": C_("application", "Withdrawn")},
}
# The exchange's seat rules of an offering (DESIGN section 4).
ADMISSIONS = {"first_come": N_("First come, first served"), "application": N_("By application")}
PROMOTIONS = {"automatic": N_("To the first in line at once"), "offer": N_("Offered to the first in line")}
ROLES = {"student": N_("student"), "coordinator": N_("coordinator"), "admin": N_("administrator"),
         "staff": N_("visiting staff")}
# The topics of the exchange's courses; a topic a coordinator types that is not here shows as typed.
KNOWN_TOPICS = frozenset((
    N_("allergy"), N_("clinical trials"), N_("epidemiology"), N_("glycomics"), N_("helminths"), N_("immunology"),
    N_("immunomics"), N_("mass spectrometry"), N_("metabolomics"), N_("parasitology"), N_("proteomics"),
    N_("biostatistics"), N_("bioinformatics"), N_("microbiology"), N_("vaccines")))


# The history's words: what was done, and the fields of courses and offerings it names.
HISTORY_ACTIONS = {"created": N_("Created the course"), "updated": N_("Changed the course"),
                   "published": N_("Published the course"), "archived": N_("Archived the course"),
                   "offering_scheduled": N_("Scheduled an offering"), "offering_updated": N_("Changed an offering"),
                   "offering_cancelled": N_("Cancelled an offering")}
HISTORY_FIELDS = {"code": N_("Code"), "title": N_("Title"), "description": N_("Description"), "ects": N_("ECTS credits"),
                  "level": N_("Level"), "language": N_("Teaching language"), "isced": N_("ISCED-F field code"),
                  "topics": N_("Topics"), "coordinators": N_("Coordinators"), "status": N_("Status"),
                  "term": N_("Term"), "starts_on": N_("Starts on"), "ends_on": N_("Ends on"),
                  "enrolment_opens_at": N_("Enrolment opens"), "enrolment_closes_at": N_("Enrolment closes"),
                  "capacity": N_("Seats"), "waitlist": N_("Waiting list"), "location": N_("Location"),
                  "cancel_reason": N_("Reason"), "admission": N_("Admission"),
                  "promotion": N_("A freed seat"), "offer_hours": N_("Hours to answer an offer")}


def change_value(name: str, value: Any, kind: str, locale: str, zone: str = UNKNOWN_ZONE) -> str:
    """A value of the history in the reader's words: `2027-spring` as a term, statuses, levels, languages
    and topics named, dates written out, times in `zone` (named), `{"en": …, "ru": …}` as "en: …; ru: …",
    nothing as "—"."""
    if value is None or value == "" or value == []:
        return "—"
    words = {"term": lambda: term_name(value, locale), "status": lambda: status_name(kind, value, locale),
             "level": lambda: named(LEVELS, value, locale), "language": lambda: language_name(value, locale),
             "topics": lambda: ", ".join(topic_name(topic, locale) for topic in value),
             "starts_on": lambda: long_date(value, locale), "ends_on": lambda: long_date(value, locale),
             "enrolment_opens_at": lambda: local_time(value, locale, zone, named=True),
             "enrolment_closes_at": lambda: local_time(value, locale, zone, named=True),
             "admission": lambda: named(ADMISSIONS, value, locale),
             "promotion": lambda: named(PROMOTIONS, value, locale),
             "waitlist": lambda: gettext_in(locale, "yes") if value else gettext_in(locale, "no")}
    if name in words:
        return words[name]()
    if isinstance(value, dict):
        return "; ".join(f"{key}: {text}" for key, text in value.items() if text)
    if isinstance(value, list):
        return ", ".join(map(str, value))
    return str(value)


def term_name(term: str, locale: str) -> str:
    """`2027-spring` as "Spring 2027" or "весна 2027"; anything else as it is."""
    match = TERM_PATTERN.fullmatch(term or "")
    if not match:
        return term or ""
    year, season = match.groups()
    return gettext_in(locale, SEASONS[season], year=year)


def language_name(code: str, locale: str) -> str:
    """A BCP 47 teaching language (`en`, `ru`, `nl-BE`) named in the reader's language (CLDR's names)."""
    try:
        return Locale.parse(locale).languages.get(Locale.parse(code, sep="-").language, code)
    except (ValueError, UnknownLocaleError):
        return code


def topic_name(topic: str, locale: str) -> str:
    """A known topic in the reader's language; any other as the coordinator typed it."""
    return gettext_in(locale, topic) if topic in KNOWN_TOPICS else topic


def named(names: dict[str, str], code: str, locale: str) -> str:
    """The word for `code` from one of the tables above; an unknown code as it is."""
    return gettext_in(locale, names[code]) if code in names else code


def status_name(kind: str, status: str, locale: str) -> str:
    """The status of a course, offering or enrolment as a word agreeing with it; an unknown one as it is."""
    if status not in STATUSES.get(kind, {}):
        return status
    return pgettext_in(locale, *STATUSES[kind][status])
