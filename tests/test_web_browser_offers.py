"""The exchange's seat rules in a real browser against the whole system (the one every browser test shares;
these tests alone change CHI-530 and ALG-401).

A waiting-list offer: a coordinator has freed seats offered for 24 hours on a one-seat offering, a student
takes the seat, another waits; the first cancels, and the second, reading Russian, sees until when the seat
is held for her (in Tomsk time) and accepts it. Reserved seats: SSMU's coordinator reserves an offering's
seats for students of LUMC, the partner; an SSMU student, reading Russian, is told she would wait, and
waits, while an LUMC student takes a reserved seat, and the SSMU student's open page follows the pool's
free seats."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from tests.support.browser import signed_in

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


def test_a_seat_offered_from_the_waiting_list_is_accepted_before_its_deadline(browser, front_end):
    from playwright.sync_api import expect

    coordinator = signed_in(browser, front_end, "lumc-coordinator")
    coordinator.get_by_role("link", name=re.compile("Controlled Human Infection Models")).click()
    course_page = coordinator.url.replace("/manage/courses/", "/courses/")
    coordinator.get_by_role("link", name=re.compile("Roster and seats")).first.click()
    offering_page = coordinator.url
    coordinator.get_by_role("link", name="Change dates, place or window").click()
    coordinator.get_by_label(re.compile("It is offered to the first in line")).check()
    coordinator.get_by_label(re.compile("Hours to answer an offer")).fill("24")
    coordinator.get_by_role("button", name="Save").click()
    expect(coordinator.locator(".flash-success")).to_be_visible()
    expect(coordinator.locator("dl.facts").first).to_contain_text("who has 24 hours to accept it")
    coordinator.get_by_label("Seats").fill("1")
    coordinator.get_by_role("button", name="Change seats").click()
    expect(coordinator.locator(".flash-success")).to_contain_text("Seats changed to 1")
    for _ in range(60):  # enrolment hears of both changes through the outbox, the broker and its consumer
        if "1 of 1 seat free" in coordinator.locator("[data-seats-for]").first.inner_text():
            break
        coordinator.wait_for_timeout(500)
        coordinator.goto(offering_page)

    sanne = signed_in(browser, front_end, "lumc-student")
    sanne.goto(course_page)
    sanne.get_by_role("button", name="Enrol").click()
    expect(sanne.locator(".flash-success")).to_contain_text("You have a seat")
    anna = signed_in(browser, front_end, "ssmu-student")  # her token says Russian
    anna.goto(course_page)
    anna.get_by_role("button", name=re.compile("лист ожидания")).click()
    expect(anna.locator(".flash-success")).to_contain_text("1")

    sanne.get_by_role("link", name="Cancel my enrolment…").click()
    sanne.get_by_role("button", name="Cancel my enrolment").click()
    expect(sanne.locator(".flash-success")).to_contain_text("Your enrolment is cancelled")

    anna.get_by_role("link", name="Мои записи").click()
    this_course = anna.get_by_role("listitem").filter(has_text="CHI-530")  # other tests enrol her elsewhere
    expect(this_course.locator(".status-offered")).to_have_text("Предложено место")
    expect(this_course.locator(".offer-deadline")).to_contain_text("(Томск, UTC+7)")
    coordinator.goto(offering_page)
    expect(coordinator.locator("#offered-seats")).to_contain_text("Анна Смирнова")
    this_course.get_by_role("button", name="Принять место").click()
    expect(this_course.locator(".status-confirmed")).to_be_visible()
    expect(anna.get_by_role("button", name="Принять место")).to_have_count(0)


def test_seats_reserved_for_the_partners_students_go_to_one_of_them_not_to_a_home_student(browser, front_end):
    from playwright.sync_api import expect

    # ALG-401, which no other browser test touches: two seats, both reserved for LUMC students for a year.
    coordinator = signed_in(browser, front_end, "ssmu-coordinator", locale="en")
    coordinator.get_by_role("link", name=re.compile("Immunology of Allergic Diseases")).click()
    course_page = coordinator.url.replace("/manage/courses/", "/courses/")
    coordinator.get_by_role("link", name=re.compile("Roster and seats")).first.click()
    coordinator.get_by_label("Seats").fill("2")
    coordinator.get_by_role("button", name="Change seats").click()
    expect(coordinator.locator(".flash-success")).to_contain_text("Seats changed to 2")
    coordinator.get_by_role("link", name="Change dates, place or window").click()
    coordinator.get_by_label("Seats for LUMC students").fill("2")
    release = f"{date.today() + timedelta(days=365):%Y-%m-%d}T12:00"
    coordinator.locator("[name=reserved_LUMC_release_at]").fill(release)
    coordinator.get_by_role("button", name="Save").click()
    expect(coordinator.locator(".flash-success")).to_be_visible()

    anna = signed_in(browser, front_end, "ssmu-student")  # her token says Russian
    anna.goto(course_page)
    for _ in range(60):  # enrolment hears of both changes through the outbox, the broker and its consumer
        if "2 места для студентов LUMC, свободно 2, до" in anna.locator("main").inner_text():
            break
        anna.wait_for_timeout(500)
        anna.goto(course_page)
    expect(anna.locator(".seats-pool")).to_contain_text(
        re.compile(r"2 места для студентов LUMC, свободно 2, до .*\(Томск, UTC\+7\)"))
    expect(anna.locator("button.enrol-enrol")).to_have_count(0)  # both free seats are LUMC's: she would wait
    anna.locator("button.enrol-waitlist").click()
    expect(anna.locator(".status-waitlisted")).to_contain_text("1")

    sanne = signed_in(browser, front_end, "lumc-student")
    sanne.goto(course_page)  # an SSMU student waits, yet the reserved seat is still Sanne's to take
    expect(sanne.locator(".seats-pool")).to_contain_text("2 seats for LUMC students, 2 free, until")
    sanne.get_by_role("button", name="Enrol").click()
    expect(sanne.locator(".flash-success")).to_contain_text("You have a seat")
    expect(sanne.locator(".status-confirmed")).to_be_visible()

    # Anna's page, open all along, has the pool's line brought up to date by its polling.
    expect(anna.locator(".seats-pool")).to_contain_text("2 места для студентов LUMC, свободно 1")
    anna.reload()
    expect(anna.locator(".status-waitlisted")).to_contain_text("1")
