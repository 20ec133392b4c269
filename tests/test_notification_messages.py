"""Messages in English and Russian, as a student reads them."""

import pytest

from notifications.messages import KINDS, FrontEnd, course_context, describe_changes, render
from web.app import create_app
from web.config import WebSettings

FRONT_END = FrontEnd("https://exchange.example.org")
OFFERING = {"course_id": "c-1", "course_title": {"en": "Helminth Infections and the Immune System", "ru": "Гельминтозы и иммунная система"},
            "course_code": "HEL-510", "term": "2027-spring", "location": "LUMC, Leiden",
            "starts_on": "2027-02-08", "ends_on": "2027-03-05"}
CHANGES = {"location": {"from": "LUMC, Leiden", "to": "Online"}, "capacity": {"from": 20, "to": 25},
           "starts_on": {"from": "2027-02-08", "to": "2027-02-15"}}


def context(locale, **extra):
    return {"name": "Анна <Смирнова>", "course": course_context(OFFERING, locale, FRONT_END), "position": 3,
            "preferences_url": FRONT_END.preferences_page,
            "cancelled_by": "student", "reason": None, "was_waiting": False, "waiting": False,
            "changes": describe_changes(CHANGES, locale, "Europe/Amsterdam"), "what": "waitlisted",
            "student": {"name": "Анна <Смирнова>", "email": "anna@ssmu.ru"}, "roster_url": FRONT_END.roster_page("o-1"),
            "seats": {"capacity": 20, "confirmed": 20, "available": 0, "waitlisted": 3}, "message": "Welcome",
            "dates": None, "expires_at": "20 янв. 2027, 16:30 (Томск, UTC+7)",
            "answer_url": FRONT_END.enrolments_page, **extra}


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("locale", ["en", "ru"])
def test_every_kind_of_message_renders_in_both_languages(kind, locale):
    message = render(kind, locale, context(locale))
    assert message.subject and "\n" not in message.subject
    title = OFFERING["course_title"][locale]
    assert title in message.subject or title in message.text
    assert "HEL-510" in message.text and "HEL-510" in message.html
    assert message.html.startswith("<!DOCTYPE html>") and f'lang="{locale}"' in message.html
    assert "&lt;Смирнова&gt;" in message.html and "<Смирнова>" not in message.html  # names are escaped


def test_a_message_nobody_is_emailed_is_rendered_without_its_html_and_reads_the_same():
    emailed, inbox_only = (render("roster_changed", "ru", context("ru"), html=html) for html in (True, False))
    assert inbox_only.html is None and emailed.html
    assert (inbox_only.subject, inbox_only.text) == (emailed.subject, emailed.text)


def test_dates_and_terms_read_naturally_in_each_language():
    assert "February 8, 2027" in render("confirmed", "en", context("en")).text
    russian = render("confirmed", "ru", context("ru")).text
    assert "8 февраля 2027\u202fг." in russian and "весна 2027" in russian  # CLDR: narrow no-break space


def test_a_waiting_student_is_told_their_place_in_line():
    assert render("waitlisted", "en", context("en", position=4)).subject.startswith("You are number 4")
    assert "Ваш номер в очереди: 4" in render("waitlisted", "ru", context("ru", position=4)).text


def test_a_cancelled_offering_says_why():
    message = render("cancelled", "ru", context("ru", cancelled_by="catalogue", reason="болезнь лектора"))
    assert message.subject == "Курс «Гельминтозы и иммунная система» отменён"
    assert "Причина: болезнь лектора" in message.text


def test_a_schedule_change_lists_what_changed_but_not_the_capacity():
    text = render("offering_changed", "en", context("en")).text
    assert "Place: LUMC, Leiden → Online" in text
    assert "Starts: February 8, 2027 → February 15, 2027" in text
    assert "capacity" not in text.lower() and "25" not in text


HOSTILE = '<a href="https://evil.example/x">Claim your seat</a><img src="https://evil.example/pixel.gif">'
HOSTILE_OFFERING = {**OFFERING, "course_title": {"en": HOSTILE, "ru": HOSTILE}, "course_code": HOSTILE,
                    "location": HOSTILE}
HOSTILE_CHANGES = {"location": {"from": HOSTILE, "to": HOSTILE}}


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("locale", ["en", "ru"])
@pytest.mark.parametrize("cancelled_by", ["catalogue", "coordinator", "student"])
def test_what_people_typed_is_escaped_in_every_part_of_every_message(kind, locale, cancelled_by):
    message = render(kind, locale, {
        "name": HOSTILE, "course": course_context(HOSTILE_OFFERING, locale, FRONT_END), "position": 2,
        "preferences_url": FRONT_END.preferences_page,
        "cancelled_by": cancelled_by, "reason": HOSTILE, "was_waiting": True, "waiting": True,
        "changes": describe_changes(HOSTILE_CHANGES, locale, "Asia/Tomsk"), "what": "cancelled",
        "student": {"name": HOSTILE, "email": HOSTILE}, "roster_url": FRONT_END.roster_page("o-1"),
        "seats": {"capacity": 20, "confirmed": 20, "available": 0, "waitlisted": 3}, "message": HOSTILE,
        "dates": {"starts_on": HOSTILE, "ends_on": HOSTILE}, "expires_at": HOSTILE,
        "answer_url": FRONT_END.enrolments_page})
    assert "evil.example/x\"" not in message.html and "<img" not in message.html  # only our own links
    assert "&lt;img src=&#34;https://evil.example/pixel.gif&#34;&gt;" in message.html
    assert HOSTILE in message.text  # the plain-text part shows the text as typed: data, not markup


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("locale", ["en", "ru"])
def test_every_message_links_to_the_course_page_and_the_preferences(kind, locale):
    message = render(kind, locale, context(locale))
    for link in ("https://exchange.example.org/courses/c-1", "https://exchange.example.org/me/preferences"):
        assert link in message.text and f'href="{link}"' in message.html


def test_a_course_id_cannot_leave_the_course_page_path():
    assert FRONT_END.course_page('../x"<y>?z') == "https://exchange.example.org/courses/..%2Fx%22%3Cy%3E%3Fz"


@pytest.mark.parametrize("what", ["confirmed", "waitlisted", "promoted", "cancelled"])
@pytest.mark.parametrize("locale", ["en", "ru"])
def test_a_coordinator_reads_who_did_what_in_which_course_and_where_the_seats_stand(what, locale):
    message = render("roster_changed", locale, context(locale, what=what))
    assert "Анна <Смирнова>" in message.subject and OFFERING["course_title"][locale] in message.subject
    assert "anna@ssmu.ru" in message.text
    assert ("20 of 20 taken, 3 waiting" if locale == "en" else "занято 20 из 20, в очереди 3") in message.text
    assert 'href="https://exchange.example.org/manage/offerings/o-1"' in message.html


def test_the_waiting_list_news_says_the_place_in_line():
    assert "number 3 in line" in render("roster_changed", "en", context("en")).text
    assert "номер в очереди: 3" in render("roster_changed", "ru", context("ru")).text


def test_the_links_are_the_front_ends_course_and_preferences_pages():
    routes = create_app(WebSettings()).url_map.bind("exchange.example.org")
    front_end = FrontEnd("")
    assert routes.match(front_end.course_page("c-1")) == ("catalogue.course", {"course_id": "c-1"})
    assert routes.match(front_end.preferences_page)[0] == "preferences.preferences"
    assert routes.match(front_end.roster_page("o-1")) == ("offerings.offering", {"offering_id": "o-1"})
