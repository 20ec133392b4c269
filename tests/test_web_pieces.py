"""The front end's plain functions: forms, redirects, problem messages, dates."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from shared.http.app import IDEMPOTENCY_KEY_PATTERN
from web.client import ServiceError, api_url
from web.enrolments import enrol_choice, idempotency_key
from web.forms import course_form_values, course_payload, merge_edit, offering_payload, service_field_errors
from web.highlight import highlight
from web.language import localised, long_date
from web.navigation import safe_next
from web.own_links import link_own_pages
from web.problems import error_page_status, problem_message
from web.timezones import instant_to_local_input, local_input_to_instant, local_time


@pytest.mark.parametrize("target, expected", [
    ("/courses/1?x=2", "/courses/1?x=2"), ("//evil.example/", "/"), ("https://evil.example/", "/"),
    ("/\\evil.example", "/"), ("", "/"), (None, "/"), ("courses", "/"),
    ("/a\r\nSet-Cookie: x=1", "/"), ("/a\tb", "/"), ("/a\x7f", "/"), ("/a\x00", "/")])
def test_only_paths_on_this_site_are_followed_after_a_form(target, expected):
    assert safe_next(target) == expected


def test_a_known_problem_is_said_in_our_words_and_an_unknown_one_with_the_services_detail():
    assert problem_message(ServiceError(409, "offering_full"), "en") == "This offering is full and keeps no waiting list."
    assert problem_message(ServiceError(409, "enrolment_closed"), "ru") == "Запись на этот набор закрыта."
    assert problem_message(ServiceError(404, "course_not_found", "There is no course x."), "en") == "Not found."
    assert problem_message(ServiceError(418, "teapot", "I am a teapot."), "en") == "That did not work: I am a teapot."


def test_too_many_attempts_say_when_to_try_again_if_the_service_said():
    assert problem_message(ServiceError(429, "rate_limited", retry_after=42), "en") == \
        "Too many attempts; try again in 42 seconds."
    assert "42" in problem_message(ServiceError(429, "rate_limited", retry_after=42), "ru")
    assert problem_message(ServiceError(429, "rate_limited"), "en") == "Too many attempts; please try again shortly."


@pytest.mark.parametrize("code", ["bad_idempotency_key", "idempotency_key_reused"])
def test_the_idempotency_refusals_are_said_in_our_words(code):
    assert not problem_message(ServiceError(400, code, "detail"), "ru").startswith("Не получилось")


@pytest.mark.parametrize("status, page_status", [(429, 429), (404, 404), (409, 409), (422, 400), (500, 502),
                                                 (503, 503)])
def test_a_refusal_keeps_its_meaning_in_the_status_of_the_page(status, page_status):
    assert error_page_status(ServiceError(status, "x")) == page_status


def test_a_course_form_becomes_the_catalogues_json():
    payload, errors = course_payload({"code": "HEL-600", "institution": "LUMC", "title_en": " Worms ", "title_ru": "",
                                      "description_en": "D", "description_ru": "Д", "ects": "7,5", "level": "phd",
                                      "language": "en", "isced": "0912", "topics": "a, b,,c", "coordinators": ""})
    assert errors == {}
    assert payload == {"code": "HEL-600", "institution": "LUMC", "level": "phd", "language": "en", "isced": "0912",
                       "title": {"en": "Worms", "ru": None}, "description": {"en": "D", "ru": "Д"}, "ects": 7.5,
                       "topics": ["a", "b", "c"], "coordinators": []}


def test_a_course_form_with_missing_or_mistyped_fields_says_which():
    _, errors = course_payload({"ects": "a lot"})
    assert errors["ects"] == "Enter a number."
    assert {"code", "title_en", "description_en", "language", "isced"} <= set(errors)


def test_a_course_round_trips_through_its_edit_form():
    course = {"code": "X-1", "institution": "SSMU", "title": {"en": "T", "ru": None}, "description": {"en": "D", "ru": None},
              "ects": 5.0, "level": "master", "language": "ru", "isced": "0912", "topics": ["a", "b"],
              "coordinators": ["ssmu-coordinator"]}
    payload, errors = course_payload(course_form_values(course))
    assert errors == {} and {name: payload[name] for name in course if name in payload} == course


def test_an_offering_form_reads_its_window_in_the_persons_zone_and_its_seats_as_a_number():
    payload, errors = offering_payload({"term": "2027-spring", "starts_on": "2027-02-08", "ends_on": "2027-03-05",
                                        "enrolment_opens_at": "2026-01-01T08:00", "enrolment_closes_at": "",
                                        "capacity": "twelve", "location": "Leiden"}, "Asia/Tomsk")
    assert payload["enrolment_opens_at"] == "2026-01-01T01:00:00Z" and payload["waitlist"] is False
    assert errors == {"enrolment_closes_at": "Enter a date.", "capacity": "Enter a number."}


@pytest.mark.parametrize("typed, zone, instant", [
    ("2027-01-25T23:59", "Europe/Amsterdam", "2027-01-25T22:59:00Z"),  # winter: UTC+1
    ("2027-07-01T23:59", "Europe/Amsterdam", "2027-07-01T21:59:00Z"),  # summer: UTC+2
    ("2027-01-26T05:59", "Asia/Tomsk", "2027-01-25T22:59:00Z"),        # the same instant in Tomsk
    ("2027-07-01T05:59", "Asia/Tomsk", "2027-06-30T22:59:00Z"),        # Tomsk keeps UTC+7 all year
    ("2026-01-01T08:00:30", "Europe/Amsterdam", "2026-01-01T07:00:30Z"),
    ("2026-01-01T08:00:00+03:00", "Asia/Tomsk", "2026-01-01T08:00:00+03:00"),  # an instant already
    ("not a time", "Asia/Tomsk", "not a time"),                          # the service says what is wrong
    ("0001-01-01T00:00", "Asia/Tomsk", "0001-01-01T00:00"),             # before year 1 in UTC
])
def test_a_time_typed_in_a_zone_becomes_the_utc_instant_the_api_takes(typed, zone, instant):
    assert local_input_to_instant(typed, zone) == instant


def test_an_instant_is_shown_in_the_readers_zone_without_seconds_and_the_zone_named_where_asked():
    closes = "2027-01-25T22:59:00Z"
    assert local_time(closes, "en", "Europe/Amsterdam", named=True) == "25 Jan 2027, 23:59 (Amsterdam, UTC+1)"
    assert local_time(closes, "ru", "Asia/Tomsk", named=True) == "26 янв. 2027, 05:59 (Томск, UTC+7)"
    assert local_time(closes, "en", "Asia/Tomsk") == "26 Jan 2027, 05:59"
    assert local_time("not a time", "en", "Asia/Tomsk") == "not a time"
    assert instant_to_local_input(closes, "Asia/Tomsk") == "2027-01-26T05:59"
    assert local_input_to_instant(instant_to_local_input(closes, "Europe/Amsterdam"), "Europe/Amsterdam") == closes


def test_the_services_field_errors_land_on_the_form_fields():
    errors = {"title": {"en": ["Missing data for required field."]}, "ects": ["Must be in steps of 0.5."]}
    assert service_field_errors(errors) == {"title_en": ["Missing data for required field."],
                                            "ects": ["Must be in steps of 0.5."]}
    assert service_field_errors({"topics": {"0": ["Too long."], "3": ["Empty."]}}) == {"topics": ["Too long.", "Empty."]}


def test_texts_and_dates_are_written_in_the_readers_language():
    assert localised({"en": "Worms", "ru": "Черви"}, "ru") == "Черви"
    assert localised({"en": "Worms", "ru": None}, "ru") == "Worms"
    assert long_date("2027-02-08", "ru") == "8 февраля 2027\u202fг."
    assert long_date("2027-02-08", "en") == "February 8, 2027"
    assert long_date("not a date", "en") == "not a date"


@pytest.mark.parametrize("ects", ["nan", "inf", "-Infinity", "1e999"])
def test_a_number_that_json_cannot_carry_is_a_field_error(ects):
    _, errors = course_payload({"ects": ects})
    assert errors["ects"] == "Enter a number."


def test_an_idempotency_key_enrolment_would_refuse_is_replaced_and_a_good_one_kept():
    assert idempotency_key("3f1c-2") == "3f1c-2"
    for refused in ("ключ", "a b", "", None, "x" * 201):
        replacement = idempotency_key(refused)
        assert replacement != refused and IDEMPOTENCY_KEY_PATTERN.match(replacement)


def test_every_segment_of_an_api_path_is_quoted_whole():
    assert api_url("http://c", ("courses", "a?b#c/d", "offerings")) == "http://c/api/v1/courses/a%3Fb%23c%2Fd/offerings"
    assert api_url("http://c", ("courses", "..")) == "http://c/api/v1/courses/%2E%2E"
    assert api_url("http://c", ("courses", "1.5")) == "http://c/api/v1/courses/1.5"
    with pytest.raises(TypeError):
        api_url("http://c", "/courses/x")  # a joined string would carry its ids unquoted


def test_a_stale_edit_merges_three_ways_field_by_field():
    fields = ("title_en", "ects", "topics", "description_en")
    original = {"title_en": "Old", "ects": "5", "topics": "a", "description_en": "one\ntwo"}
    yours = {"title_en": "Mine", "ects": "5", "topics": "b", "description_en": "one\r\ntwo"}  # CRLF: unchanged
    theirs = {"title_en": "Theirs", "ects": "10", "topics": "b", "description_en": "one\ntwo!"}
    merge = merge_edit(original, yours, theirs, fields)
    assert merge.values == {"title_en": "Mine", "ects": "10", "topics": "b", "description_en": "one\ntwo!"}
    assert merge.taken == ["ects", "description_en"] and merge.conflicts == ["title_en"]


def test_a_field_sent_without_its_original_is_kept_as_yours():
    merge = merge_edit({}, {"title_en": "Mine"}, {"title_en": "Theirs"}, ("title_en",))
    assert merge.values == {"title_en": "Mine"} and merge.conflicts == ["title_en"]


def test_a_search_marks_each_form_of_the_searched_words_and_nothing_else():
    assert str(highlight("Гельминтозы и иммунная система", "гельминты")) == "<mark>Гельминтозы</mark> и иммунная система"
    assert str(highlight("Allergies, allergic asthma", "ALLERGIC")) == "<mark>Allergies</mark>, <mark>allergic</mark> asthma"
    assert str(highlight("Immunology", "imunology")) == "<mark>Immunology</mark>"  # one typo
    assert str(highlight("Immunology", "")) == "Immunology"


def test_a_marked_text_escapes_markup_in_the_text_and_in_the_query():
    marked = str(highlight('<img src=x onerror="alert(1)"> Glycomics & <b>mass</b>', 'glycomics"><script>'))
    assert marked == ("&lt;img src=x onerror=&#34;alert(1)&#34;&gt; <mark>Glycomics</mark> &amp; "
                      "&lt;b&gt;mass&lt;/b&gt;")
WINDOW = {"enrolment_opens_at": "2027-01-01T08:00:00Z", "enrolment_closes_at": "2027-01-25T23:59:00Z"}
DURING = datetime(2027, 1, 10, tzinfo=timezone.utc)


@pytest.mark.parametrize("course, offering, seats, now, choice", [
    ("published", {"waitlist": True}, {"available": 3, "waitlisted": 0}, DURING, "enrol"),
    ("published", {"waitlist": True}, {"available": 3, "waitlisted": 2}, DURING, "waitlist"),  # theirs first
    ("published", {"waitlist": True}, {"available": 0, "waitlisted": 0}, DURING, "waitlist"),
    ("published", {"waitlist": False}, {"available": 0, "waitlisted": 0}, DURING, "full"),
    ("published", {"waitlist": True}, {"available": 3}, datetime(2026, 12, 1, tzinfo=timezone.utc), "not_yet"),
    ("published", {"waitlist": True}, {"available": 3}, datetime(2027, 1, 25, 23, 59, tzinfo=timezone.utc), "closed"),
    ("archived", {"waitlist": True}, {"available": 3}, DURING, "not_open"),
    ("published", {"waitlist": True, "status": "cancelled"}, {"available": 3}, DURING, "cancelled"),
])
def test_the_enrol_button_says_what_enrolment_would_decide(course, offering, seats, now, choice):
    assert enrol_choice({"status": course}, {**WINDOW, **offering}, seats, now) == choice


def pool(seats: int, confirmed: int = 0, available: int | None = None) -> dict:
    return {"institution": "SSMU", "seats": seats, "confirmed": confirmed, "held": 0,
            "available": seats - confirmed if available is None else available}


@pytest.mark.parametrize("seats, institution, choice", [
    ({"available": 2, "waitlisted": 0, "reserved": [pool(2)]}, "SSMU", "enrol"),
    ({"available": 2, "waitlisted": 0, "reserved": [pool(2)]}, "LUMC", "waitlist"),  # every free seat is SSMU's
    ({"available": 3, "waitlisted": 0, "reserved": [pool(2)]}, "LUMC", "enrol"),  # one open seat
    ({"available": 3, "waitlisted": 0, "reserved": [pool(2, confirmed=2)]}, "LUMC", "enrol"),  # the pool is used
    ({"available": 0, "waitlisted": 1, "reserved": [pool(2)]}, "SSMU", "enrol"),  # an LUMC student waits
    ({"available": 0, "waitlisted": 1, "reserved": [pool(2, available=0)]}, "SSMU", "waitlist"),  # an SSMU one
])
def test_the_enrol_button_says_whether_a_reserved_seat_is_the_readers(seats, institution, choice):
    assert enrol_choice({"status": "published"}, {**WINDOW, "waitlist": True}, seats, DURING, institution) == choice


def test_an_inbox_text_links_only_this_sites_own_pages_and_escapes_the_rest():
    text = ('Page: https://exchange.example.org/courses/c-1\n<b>x</b> http://evil.example/x '
            'http://exchange.example.org/me/preferences?a=1&b=2')
    shown = link_own_pages(text, "exchange.example.org")
    assert '<a href="/courses/c-1">https://exchange.example.org/courses/c-1</a>' in shown
    assert '<a href="/me/preferences?a=1&amp;b=2">' in shown
    assert "&lt;b&gt;x&lt;/b&gt; http://evil.example/x" in shown and shown.count("<a ") == 2


def test_the_excel_roster_shows_until_when_a_seat_is_offered_and_whose_reserved_seat_it_is():
    import io

    from openpyxl import load_workbook

    from web.roster_xlsx import roster_workbook

    offered = {"status": "offered", "waitlist_position": None, "name": "Sanne de Vries", "email": "s@lumc.nl",
               "institution": "LUMC", "student_id": "lumc-student", "enrolled_at": "2026-12-01T08:00:00Z",
               "confirmed_at": None, "offer_expires_at": "2026-12-03T08:00:00+00:00", "pool": "LUMC"}
    header, row = load_workbook(io.BytesIO(roster_workbook([offered], "en"))).active.iter_rows(values_only=True)
    assert header[-2:] == ("Offer expires (UTC)", "Reserved seat of")
    assert (row[0], *row[-2:]) == ("Seat offered", datetime(2026, 12, 3, 8, 0), "LUMC")
