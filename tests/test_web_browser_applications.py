"""Places by application in a real browser against the whole system (the one every browser test shares; this
test alone changes GLB-320): a coordinator opens a staff visit to applications, a visiting researcher applies in
Russian with dates, the coordinator approves with a message, the researcher reads it and is told in the inbox; a
student withdraws."""

from __future__ import annotations

import re

import pytest

from tests.support.browser import serious_violations, signed_in

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


def test_a_research_visit_by_application_from_applying_to_approval(browser, front_end):
    from playwright.sync_api import expect

    coordinator = signed_in(browser, front_end, "ssmu-coordinator", locale="en")  # Irina, reading English
    coordinator.get_by_role("link", name=re.compile("Glycobiology for Clinicians")).click()
    course_page = coordinator.url.replace("/manage/courses/", "/courses/")  # a coordinator lands on My courses
    coordinator.get_by_role("link", name=re.compile("Roster and seats")).first.click()
    offering_page = coordinator.url
    coordinator.get_by_role("link", name="Change dates, place or window").click()
    coordinator.get_by_label(re.compile("Applicants the coordinators approve")).check()
    coordinator.get_by_role("button", name="Save").click()
    expect(coordinator.locator(".flash-success")).to_be_visible()

    visitor = signed_in(browser, front_end, "ssmu-staff")  # Олег Кузнецов, SSMU; his token says Russian
    visitor.goto(course_page)
    expect(visitor.locator("dl.facts").first).to_contain_text("По заявкам")
    for _ in range(40):  # enrolment hears of the new rule through the outbox, the broker and its consumer
        visitor.get_by_role("link", name="Подать заявку…").click()
        visitor.get_by_label("Почему вы хотите участвовать? (мотивация)").fill(
            "Я изучаю гликозилирование белков при описторхозе.\nХочу освоить ваш протокол ЖХ-МС.")
        visitor.locator("#f-starts_on").fill("2027-03-01")
        visitor.locator("#f-ends_on").fill("2027-03-14")
        visitor.get_by_role("button", name="Отправить заявку").click()
        if visitor.locator(".flash-success").count():
            break
        visitor.wait_for_timeout(500)
        visitor.goto(course_page)
    expect(visitor.locator(".flash-success")).to_contain_text("Заявка отправлена")
    expect(visitor.locator(".status-pending")).to_have_text("Ожидает решения")

    coordinator.goto(offering_page)
    coordinator.get_by_role("link", name="Applications").click()
    card = coordinator.locator(".application", has_text="Олег Кузнецов")
    expect(card).to_contain_text("Хочу освоить ваш протокол ЖХ-МС.")
    expect(card).to_contain_text("March 1, 2027 – March 14, 2027")
    card.get_by_label("Message to the applicant (optional)").fill("Welcome! Bring your samples on dry ice.")
    card.get_by_role("button", name="Approve").click()
    expect(coordinator.locator(".flash-success")).to_contain_text("Approved: the applicant has a seat")
    expect(coordinator.locator(".status-approved")).to_have_text("Approved")

    visitor.get_by_role("link", name="Мои заявки").click()
    expect(visitor.locator(".status-approved")).to_have_text("Одобрена")
    expect(visitor.locator("blockquote.message")).to_have_text("Welcome! Bring your samples on dry ice.")
    for _ in range(40):  # the notifications travel through the outbox, the broker and a consumer
        visitor.goto("/me/inbox")
        if visitor.locator(".notification[data-kind=application_approved]").count():
            break
        visitor.wait_for_timeout(500)
    expect(visitor.locator(".notification[data-kind=application_approved]")).to_contain_text("одобрена")

    student = signed_in(browser, front_end, "lumc-student")
    student.goto(course_page)
    student.get_by_role("link", name="Apply for a place…").click()
    apply_form = student.url
    student.get_by_label("Why do you want to take part? (motivation)").fill("Glycobiology is my thesis topic.")
    student.get_by_role("button", name="Send my application").click()
    student.get_by_role("button", name="Withdraw my application").click()
    expect(student.locator(".flash-success")).to_contain_text("Your application is withdrawn.")
    expect(student.locator(".status-withdrawn")).to_have_text("Withdrawn")

    found: list[str] = []  # the new pages pass the same accessibility audit as the others, in both languages
    applications = coordinator.url
    for page, addresses in ((student, [apply_form, "/me/applications", course_page]), (coordinator, [applications])):
        for locale in ("en", "ru"):
            page.context.add_cookies([{"name": "locale", "value": locale, "url": front_end}])
            for address in addresses:
                page.goto(address)
                found += serious_violations(page)
    assert found == []
