"""The front end's gettext catalogues: complete, current with the code, with Russian plural forms; and
the words for terms, languages, topics and the services' field messages in the reader's language."""

from __future__ import annotations

import re
from datetime import date, datetime, timezone

import marshmallow as ma
import pytest

from catalogue.offerings import check_schedule
from catalogue.schemas import CourseSchema, OfferingSchema
from web.i18n import gettext_in, ngettext_in, po_path
from web.names import change_value, language_name, status_name, term_name, topic_name
from web.problems import BY_CODE, field_message
from web.translation_files import POT_PATH, read_catalog, stale_messages, untranslated, without_dates

PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


def test_the_catalogues_hold_every_message_of_the_code_and_no_other():
    assert stale_messages("ru") == set(), "run `make translations` and translate what it lists"


def test_extracting_again_from_unchanged_code_leaves_the_catalogues_as_they_are():
    # Only the creation date would differ; `make translations` must not rewrite files for it.
    text = POT_PATH.read_bytes()
    redated = re.sub(rb"POT-Creation-Date: [^\\\"]*", b"POT-Creation-Date: 1999-01-01 00:00+0000", text)
    assert redated != text
    assert without_dates(redated) == without_dates(text)


def test_every_message_is_translated_into_russian():
    assert untranslated("ru") == [], "translate these in web/translations/ru/LC_MESSAGES/messages.po"


def test_each_translation_keeps_the_placeholders_of_its_message():
    for message in read_catalog(po_path("ru"), "ru"):
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        texts = message.string if isinstance(message.string, tuple) else (message.string,)
        expected = set(PLACEHOLDER.findall(ids[-1]))
        for text in texts:
            assert set(PLACEHOLDER.findall(text)) == expected, (message.id, text)


@pytest.mark.parametrize("count, russian, english", [
    (1, "1 курс", "1 course"), (2, "2 курса", "2 courses"), (5, "5 курсов", "5 courses"),
    (11, "11 курсов", "11 courses"), (21, "21 курс", "21 courses"), (22, "22 курса", "22 courses"),
    (0, "0 курсов", "0 courses")])
def test_counts_take_the_plural_form_of_their_language(count, russian, english):
    assert ngettext_in("ru", "%(num)d course", "%(num)d courses", count) == russian
    assert ngettext_in("en", "%(num)d course", "%(num)d courses", count) == english


def test_a_message_with_no_translation_in_the_readers_language_is_shown_in_english():
    assert gettext_in("ru", "A sentence nobody wrote yet.") == "A sentence nobody wrote yet."
    assert gettext_in("nl", "Course catalogue") == "Course catalogue"
    assert gettext_in("ru", "Course catalogue") == "Каталог курсов"


@pytest.mark.parametrize("term, english, russian", [
    ("2027-spring", "Spring 2027", "весна 2027"), ("2026-autumn", "Autumn 2026", "осень 2026"),
    ("2028-winter", "Winter 2028", "зима 2028"), ("special", "special", "special")])
def test_terms_are_named_in_the_readers_language(term, english, russian):
    assert (term_name(term, "en"), term_name(term, "ru")) == (english, russian)


def test_teaching_languages_and_known_topics_are_named_in_the_readers_language():
    assert (language_name("en", "ru"), language_name("ru", "en"), language_name("nl-BE", "ru")) == \
        ("английский", "Russian", "нидерландский")
    assert language_name("not a language", "ru") == "not a language"
    assert (topic_name("helminths", "ru"), topic_name("helminths", "en")) == ("гельминты", "helminths")
    assert topic_name("lectin arrays", "ru") == "lectin arrays"  # typed by a coordinator: shown as typed


def test_a_status_agrees_in_russian_with_what_it_describes():
    assert [status_name(kind, "cancelled", "ru") for kind in ("offering", "enrolment")] == ["Отменён", "Отменена"]
    assert [status_name(kind, "cancelled", "en") for kind in ("offering", "enrolment")] == ["Cancelled", "Cancelled"]
    assert status_name("course", "published", "ru") == "Опубликован"
    assert status_name("course", "unheard-of", "ru") == "unheard-of"


def test_every_problem_code_has_a_russian_sentence():
    for code, message in BY_CODE.items():
        assert gettext_in("ru", message) != message, code


def service_messages(schema: ma.Schema, bad_inputs: list[dict]) -> set[str]:
    """Every field message the catalogue's own schema answers to these inputs."""
    found: set[str] = set()

    def collect(errors):
        for value in errors.values() if isinstance(errors, dict) else errors:
            collect(value) if isinstance(value, (dict, list)) else found.add(value)

    for data in bad_inputs:
        collect(schema.validate(data))
    return found


COURSE_INPUTS = [
    {}, {"code": "a b", "institution": "Leiden", "title": {"en": ""}, "description": {"en": "x" * 5000},
         "ects": 0.7, "level": "doctor", "language": "english!", "isced": "9999", "topics": ["", "x" * 61],
         "coordinators": ["x"] * 21, "surprise": 1},
    {"ects": 100, "language": "en-" + "x" * 40, "title": None, "topics": "a"},
    {"ects": "five", "code": 5},
    {"title": {"en": "two\nlines", "ru": "   "}, "description": {"en": "bell\u0007"}},
]
OFFERING_INPUTS = [
    {}, {"term": "spring", "starts_on": "2027-02-08", "ends_on": "2027-01-01", "capacity": -1,
         "enrolment_opens_at": "2027-01-02T00:00:00Z", "enrolment_closes_at": "2027-01-01T00:00:00Z",
         "location": ""},
    {"starts_on": "soon", "enrolment_opens_at": "2027-01-02T00:00:00", "capacity": "ten"},
    {"enrolment_opens_at": "1960-01-01T00:00:00Z", "enrolment_closes_at": "9999-12-31T23:59:59-05:00",
     "location": "one\ntwo"},
]
# The rules the catalogue checks beyond its schema (catalogue.offerings.check_schedule).
SCHEDULE_INPUTS = [{"term": "2020-spring", "starts_on": date(2020, 2, 1), "ends_on": date(2020, 3, 1),
                    "enrolment_closes_at": datetime(2020, 4, 1, tzinfo=timezone.utc)}]


def schedule_messages() -> set[str]:
    found: set[str] = set()
    for fields in SCHEDULE_INPUTS:
        with pytest.raises(ma.ValidationError) as refused:
            check_schedule(fields, date(2026, 1, 1))
        found |= {message for messages in refused.value.messages.values() for message in messages}
    return found


def test_every_field_message_of_the_catalogues_schemas_reaches_a_russian_page_in_russian():
    messages = service_messages(CourseSchema(), COURSE_INPUTS) | service_messages(OfferingSchema(), OFFERING_INPUTS) \
        | schedule_messages()
    assert len(messages) > 15
    untranslated_messages = {message for message in messages if field_message(message, "ru") == message}
    assert untranslated_messages == set()
    assert field_message("Length must be between 1 and 4000.", "ru") == "От 1 до 4000 символов."
    assert field_message("Something new a service says.", "ru") == "Something new a service says."


def test_the_history_writes_values_in_the_readers_words():
    assert change_value("status", "cancelled", "offering", "ru") == "Отменён"
    assert change_value("term", "2027-spring", "offering", "ru") == "весна 2027"
    assert change_value("starts_on", "2027-02-08", "offering", "en") == "February 8, 2027"
    assert change_value("waitlist", True, "offering", "ru") == "да"
    assert change_value("topics", ["helminths", "lectins"], "course", "ru") == "гельминты, lectins"
    assert change_value("title", {"en": "Worms", "ru": None}, "course", "ru") == "en: Worms"
    assert change_value("cancel_reason", None, "offering", "en") == "—"
