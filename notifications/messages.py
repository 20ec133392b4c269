"""Messages as people read them: Jinja templates, plain text and HTML, in the reader's language from the
gettext catalogues in notifications/translations (shared/catalogues.py), like the front end's pages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from typing import Any, Mapping
from urllib.parse import quote

from babel.dates import format_date
from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from notifications.translation_files import CATALOGUES
from shared.catalogues import N_
from shared.messaging.envelope import parse_instant
from shared.timezones import show_local

KINDS = ("confirmed", "waitlisted", "promoted", "cancelled", "offering_changed", "roster_changed")
LOCALES = ("en", "ru")

# The fields of an offering whose change students are told of; capacity is not one of them.
CHANGE_LABELS = {"term": N_("Term"), "starts_on": N_("Starts"), "ends_on": N_("Ends"), "location": N_("Place"),
                 "enrolment_opens_at": N_("Enrolment opens"), "enrolment_closes_at": N_("Enrolment closes")}
SEASONS = {"spring": N_("spring"), "summer": N_("summer"), "autumn": N_("autumn"), "winter": N_("winter")}


@cache
def environments(locale: str) -> tuple[Environment, Environment]:
    """The environments that write the subject and the plain-text part, as typed, and the HTML part,
    escaping everything (the values in a translated sentence too), in `locale`."""
    text = Environment(loader=PackageLoader("notifications", "templates"), autoescape=False,
                       undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
                       extensions=["jinja2.ext.i18n"])
    text.install_gettext_translations(CATALOGUES.translations(locale), newstyle=True)
    return text, text.overlay(autoescape=True)


def gettext_in(locale: str, message: str) -> str:
    return CATALOGUES.translations(locale).gettext(message)


@dataclass(frozen=True)
class FrontEnd:
    """The front end's pages that messages link to, at its public address (WEB_URL)."""

    url: str

    def course_page(self, course_id: str) -> str:
        return f"{self.url}/courses/{quote(course_id, safe='')}"

    def roster_page(self, offering_id: str) -> str:
        return f"{self.url}/manage/offerings/{quote(offering_id, safe='')}"

    @property
    def preferences_page(self) -> str:
        return f"{self.url}/me/preferences"


@dataclass(frozen=True)
class Message:
    subject: str
    text: str
    html: str


def render(kind: str, locale: str, context: Mapping[str, Any]) -> Message:
    """Render one kind of message in one language, in the layout that links to the preferences page
    (`context["preferences_url"]`). A language we do not write in is a producer's mistake, refused
    (the event waits in the dead-letter queue for a fix) rather than answered in another language."""
    if locale not in LOCALES:
        raise ValueError(f"no messages in {locale!r}: they are written in {', '.join(LOCALES)}")
    text_environment, html_environment = environments(locale)
    subject = " ".join(_render_part(text_environment, kind, "subject", context).split())
    around = {"subject": subject, "locale": locale, "preferences_url": context["preferences_url"]}
    text = text_environment.get_template("layout.text.j2").render(
        body=_render_part(text_environment, kind, "text", context).strip(), **around)
    body = Markup(_render_part(html_environment, kind, "html", context).strip())
    html = html_environment.get_template("layout.html.j2").render(body=body, **around)
    return Message(subject=subject, text=text, html=html)


def _render_part(environment: Environment, kind: str, part: str, context: Mapping[str, Any]) -> str:
    return environment.get_template(f"{kind}.j2").render(part=part, **context)


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
    return f"{gettext_in(locale, SEASONS[season]) if season in SEASONS else season} {year}"


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
    for field, label in CHANGE_LABELS.items():
        if field in changes:
            before, after = changes[field]["from"], changes[field]["to"]
            shown.append({"label": gettext_in(locale, label), "before": _show_value(field, before, locale, zone),
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
