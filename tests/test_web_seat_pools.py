"""Seats reserved per institution in the front end (in-process, real services on SQLite): a coordinator
reserves seats for SSMU students on the offering form, students read them per pool on the course page, in
their language and time zone, and a reservation the catalogue refuses is told next to the form."""

from __future__ import annotations

import re

import pytest

from web.problems import field_message
from tests.support.front_end import (deliver_catalogue_events, edit_offering, first_offering, person, submit,
                                     with_enrolment)


@pytest.fixture
def apps(service_app):
    return with_enrolment(service_app)


def reserve(coordinator, offering_id: str, **reservation: str):
    """Submit the offering's edit form with the given reserved_* fields; return the answer."""
    page = coordinator.get(f"/manage/offerings/{offering_id}/edit").text
    assert "Seats reserved for an institution" in page and 'name="reserved_SSMU_seats"' in page
    return edit_offering(coordinator, offering_id, **reservation)


def test_seats_reserved_on_the_form_show_per_pool_in_both_languages(apps):
    coordinator = person(apps, "lumc-coordinator")
    path, offering_id = first_offering(coordinator)
    saved = reserve(coordinator, offering_id, reserved_SSMU_seats="2", reserved_SSMU_release_at="2099-01-10T12:00")
    assert saved.status_code == 302, saved.text
    form = coordinator.get(f"/manage/offerings/{offering_id}/edit").text
    assert 'name="reserved_SSMU_seats" type="number" value="2"' in form
    assert 'name="reserved_SSMU_release_at" type="datetime-local" value="2099-01-10T12:00"' in form  # in their zone
    assert 'name="reserved_LUMC_seats" type="number" value=""' in form
    deliver_catalogue_events(apps)

    english = person(apps, "lumc-student").get(path).text
    assert re.search(r"2 seats for SSMU students, 2 free, until [^<]*2099[^<]*\(Amsterdam, UTC", english)
    russian = person(apps, "ssmu-student").get(path).text
    assert re.search(r"2 места для студентов SSMU, свободно 2, до [^<]*2099[^<]*\(Томск, UTC\+7\)", russian)

    emptied = reserve(coordinator, offering_id, reserved_SSMU_seats="", reserved_SSMU_release_at="")
    assert emptied.status_code == 302, emptied.text
    deliver_catalogue_events(apps)
    assert "for SSMU students" not in person(apps, "lumc-student").get(path).text


def test_the_course_pages_seat_polling_reads_each_pools_line_as_the_page_says_it(apps):
    coordinator = person(apps, "lumc-coordinator")
    path, offering_id = first_offering(coordinator)
    reserve(coordinator, offering_id, reserved_SSMU_seats="2", reserved_SSMU_release_at="2099-01-10T12:00")
    deliver_catalogue_events(apps)
    anna, sanne = person(apps, "ssmu-student"), person(apps, "lumc-student")
    seats = f"/offerings/{offering_id}/seats.json"
    polled = anna.get(seats).get_json()["pools"]
    assert [pool["institution"] for pool in polled] == ["SSMU"]
    assert re.fullmatch(r"2 места для студентов SSMU, свободно 2, до [^<]*2099[^<]*\(Томск, UTC\+7\)",
                        polled[0]["text"])
    assert f'data-pool="SSMU">{polled[0]["text"]}</p>' in anna.get(path).text  # the page's own words

    enrolled = submit(anna, f"/offerings/{offering_id}/enrol", {"next": path}, form_page=path)
    assert enrolled.status_code == 302
    assert re.fullmatch(r"2 seats for SSMU students, 1 free, until [^<]*2099[^<]*\(Amsterdam, UTC\+1\)",
                        sanne.get(seats).get_json()["pools"][0]["text"])
    # Her coordinator's page shows the pool as students see it, and the roster whose reserved seat she took,
    # in the page and in the downloads.
    roster = coordinator.get(f"/manage/offerings/{offering_id}").text
    assert re.search(r'data-pool="SSMU">2 seats for SSMU students, 1 free, until [^<]*2099', roster)
    assert re.search(r"SSMU<br><span class=\"meta\">a seat reserved for SSMU students</span>", roster)
    assert coordinator.get(f"/manage/offerings/{offering_id}/roster.csv").get_data(as_text=True) \
        .splitlines()[1].endswith('"SSMU"')

    reserve(coordinator, offering_id, reserved_SSMU_seats="", reserved_SSMU_release_at="")
    deliver_catalogue_events(apps)
    assert sanne.get(seats).get_json()["pools"] == []  # the page's line goes


def test_a_refused_reservation_is_told_on_the_form_and_keeps_what_was_typed(apps):
    coordinator = person(apps, "lumc-coordinator")
    _path, offering_id = first_offering(coordinator)
    refused = reserve(coordinator, offering_id, reserved_SSMU_seats="100000", reserved_LUMC_seats="two",
                      reserved_LUMC_release_at="2099-01-10T12:00", reserved_SSMU_release_at="")
    assert refused.status_code == 422
    assert 'id="e-reserved_LUMC_seats"' in refused.text and 'id="e-reserved_SSMU_release_at"' in refused.text
    assert 'name="reserved_LUMC_seats" type="number" value="two"' in refused.text
    too_many = reserve(coordinator, offering_id, reserved_SSMU_seats="10000",
                       reserved_SSMU_release_at="2099-01-10T12:00")
    assert too_many.status_code == 422 and "More seats reserved than the offering has." in too_many.text
    assert field_message("More seats reserved than the offering's capacity.", "ru") == \
        "Забронировано больше мест, чем есть в наборе."
    assert field_message("At most one pool per institution.", "ru") == "Не больше одной брони на учреждение."
