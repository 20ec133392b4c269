"""Messages as people read them: Jinja templates in English and Russian, plain text and HTML."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Any, Mapping
from urllib.parse import quote

from babel.dates import format_date
from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from shared.messaging.envelope import parse_instant
from shared.timezones import show_local

KINDS = ("confirmed", "waitlisted", "promoted", "cancelled", "offering_changed", "roster_changed",
         "application_submitted", "application_approved", "application_declined", "application_withdrawn",
         "application_received", "applicant_withdrew", "offered", "offer_reminder", "offer_expired")
LOCALES = ("en", "ru")

# The subject and the plain-text part are written as typed; the HTML part by an environment that escapes
# everything, macros imported from other templates included (an `{% autoescape %}` block in the caller
# does not reach them: they are compiled with their own template's setting). The templates ship with the
# code: not checking their files for changes spares a consumer five stat calls a message.
text_environment = Environment(loader=PackageLoader("notifications", "templates"), autoescape=False,
                               undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                               keep_trailing_newline=True, auto_reload=False)
html_environment = text_environment.overlay(autoescape=True)

CHANGE_LABELS = {
    "en": {"term": "Term", "starts_on": "Starts", "ends_on": "Ends", "location": "Place",
           "enrolment_opens_at": "Enrolment opens", "enrolment_closes_at": "Enrolment closes"},
    "ru": {"term": "Семестр", "starts_on": "Начало", "ends_on": "Окончание", "location": "Место",
           "enrolment_opens_at": "Запись открывается", "enrolment_closes_at": "Запись закрывается"},
}
TERMS = {"en": {"spring": "spring", "summer": "summer", "autumn": "autumn", "winter": "winter"},
         "ru": {"spring": "весна", "summer": "лето", "autumn": "осень", "winter": "зима"}}


@dataclass(frozen=True)
class FrontEnd:
    """The front end's pages that messages link to, at its public address (WEB_URL)."""

    url: str

    def course_page(self, course_id: str) -> str:
        return f"{self.url}/courses/{quote(course_id, safe='')}"

    @property
    def enrolments_page(self) -> str:
        """Where a student accepts or declines a seat offered to them."""
        return f"{self.url}/me/enrolments"

    def roster_page(self, offering_id: str) -> str:
        return f"{self.url}/manage/offerings/{quote(offering_id, safe='')}"

    @property
    def preferences_page(self) -> str:
        return f"{self.url}/me/preferences"


@dataclass(frozen=True)
class Message:
    subject: str
    text: str
    html: str | None  # None: not asked for (a message nobody is emailed)


def render(kind: str, locale: str, context: Mapping[str, Any], html: bool = True) -> Message:
    """Render one kind of message in one language, in the layout that links to the preferences page
    (`context["preferences_url"]`); the HTML part only if asked for."""
    subject = " ".join(_render_block(text_environment, kind, locale, "subject", context).split())
    around = {"subject": subject, "locale": locale, "preferences_url": context["preferences_url"]}
    text = text_environment.get_template("layout.text.j2").render(
        body=_render_block(text_environment, kind, locale, "text", context).strip(), **around)
    if not html:
        return Message(subject=subject, text=text, html=None)
    body = Markup(_render_block(html_environment, kind, locale, "html", context).strip())
    return Message(subject=subject, text=text,
                   html=html_environment.get_template("layout.html.j2").render(body=body, **around))


def _render_block(environment: Environment, kind: str, locale: str, block: str, context: Mapping[str, Any]) -> str:
    template = environment.get_template(f"{kind}.{locale}.j2")
    return "".join(template.blocks[block](template.new_context(dict(context))))


@lru_cache(maxsize=4096)  # a batch of events names the same few dates, and Babel takes its time over each
def show_date(value: str | date, locale: str) -> str:
    """Write a date as a reader of that language expects it ("8 февраля 2027 г.", "February 8, 2027")."""
    day = date.fromisoformat(value) if isinstance(value, str) else value
    return format_date(day, format="long", locale=locale)


def show_instant(value: str | datetime, locale: str, zone: str) -> str:
    """Write an instant in the reader's zone, the zone named: "26 янв. 2027, 05:59 (Томск, UTC+7)"."""
    instant = parse_instant(value) if isinstance(value, str) else value
    return show_local(instant, zone, locale, named=True)


def show_term(term: str, locale: str) -> str:
    year, _, season = term.partition("-")
    return f"{TERMS[locale].get(season, season)} {year}"


def course_context(offering: Mapping[str, Any], locale: str, front_end: FrontEnd) -> dict[str, str]:
    """The course and offering as the message shows them, in the reader's language, with the link to
    the course's page."""
    title = offering["course_title"]
    return {
        "title": (title.get(locale) or title["en"]), "code": offering["course_code"],
        "url": front_end.course_page(offering["course_id"]),
        "term": show_term(offering["term"], locale), "location": offering.get("location") or "—",
        "starts_on": show_date(offering["starts_on"], locale), "ends_on": show_date(offering["ends_on"], locale),
    }


def describe_changes(changes: Mapping[str, Mapping[str, Any]], locale: str, zone: str) -> list[dict[str, str]]:
    """Return the changes a student cares about, labelled and formatted (times in the reader's zone);
    capacity is not one of them."""
    shown = []
    for field, label in CHANGE_LABELS[locale].items():
        if field in changes:
            before, after = changes[field]["from"], changes[field]["to"]
            shown.append({"label": label, "before": _show_value(field, before, locale, zone),
                          "after": _show_value(field, after, locale, zone)})
    return shown


def _show_value(field: str, value: Any, locale: str, zone: str) -> str:
    if value is None:
        return "—"
    if field in ("starts_on", "ends_on"):
        return show_date(value, locale)
    if field.endswith("_at"):
        return show_instant(value, locale, zone)
    if field == "term":
        return show_term(value, locale)
    return str(value)
