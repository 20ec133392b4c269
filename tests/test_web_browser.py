"""The web front end in a real browser (Debian's Chromium, driven by Playwright) against the whole system:
students find, enrol, wait and get promoted; coordinators change seats, read the roster, and see conflicts.

Set WEB_SCREENSHOTS=docs/screenshots to also save the README's screenshots (desktop and phone width; the
pages of issue 16 in English and Russian).
"""

from __future__ import annotations

import io
import os
import re
from datetime import date, timedelta
from pathlib import Path

import pytest

from tests.support.browser import DESKTOP, PHONE, TIMEOUT_MS, read_in, serious_violations, signed_in

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


def screenshots_in_both_languages(browser, page, name: str, elsewhere: str | None = None) -> None:
    """Save this page, when asked to, at desktop width in English and in Russian (`{name}-en.png`,
    `{name}-ru.png`) and at phone width in its own language (`{name}-phone.png`). The other language is
    opened beside it, in a browser of that language with the same session (at `elsewhere` if given: a
    search for words of that language), so the page and what was typed into it stay as they are."""
    folder = os.environ.get("WEB_SCREENSHOTS")
    if not folder:
        return
    Path(folder).mkdir(parents=True, exist_ok=True)
    own = page.locator("html").get_attribute("lang")
    other = "ru" if own == "en" else "en"
    original = page.viewport_size
    page.set_viewport_size(PHONE)
    page.screenshot(path=str(Path(folder) / f"{name}-phone.png"))
    page.set_viewport_size(DESKTOP)
    page.screenshot(path=str(Path(folder) / f"{name}-{own}.png"), full_page=True)
    page.set_viewport_size(original)
    front_end = re.match(r"https?://[^/]+", page.url).group(0)
    context = browser.new_context(base_url=front_end, viewport=DESKTOP, language=other)
    context.add_cookies(page.context.cookies())
    read_in(context, front_end, other)
    beside = context.new_page()
    beside.goto(elsewhere or page.url)
    beside.screenshot(path=str(Path(folder) / f"{name}-{other}.png"), full_page=True)
    context.close()


def screenshot(page, name: str) -> None:
    """Save the README's screenshot of this page at desktop and phone width, when asked to."""
    folder = os.environ.get("WEB_SCREENSHOTS")
    if not folder:
        return
    Path(folder).mkdir(parents=True, exist_ok=True)
    original = page.viewport_size
    for label, size in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(size)
        page.screenshot(path=str(Path(folder) / f"{name}-{label}.png"), full_page=label == "desktop")
    page.set_viewport_size(original)


def test_students_enrol_wait_and_are_promoted_while_the_coordinator_watches_the_roster(browser, front_end):
    from playwright.sync_api import expect

    # The coordinator makes HEL-510's offering a one-seat offering.
    coordinator = signed_in(browser, front_end, "lumc-coordinator")
    coordinator.get_by_role("link", name=re.compile("Helminth Infections")).click()
    coordinator.get_by_role("link", name=re.compile("Roster and seats")).first.click()
    offering_page = coordinator.url
    coordinator.get_by_label("Seats").fill("1")
    coordinator.get_by_role("button", name="Change seats").click()
    expect(coordinator.locator(".flash-success")).to_contain_text("Seats changed to 1")

    # Anna (SSMU; her token says Russian) finds the course by a Russian word and enrols.
    anna = signed_in(browser, front_end, "ssmu-student")
    expect(anna.locator("html")).to_have_attribute("lang", "ru")
    anna.get_by_label("Поиск курсов").fill("гельминт")
    anna.get_by_role("button", name="Найти").click()
    expect(anna.locator(".card h2 mark").first).to_have_text(re.compile("Гельминт", re.IGNORECASE))
    screenshots_in_both_languages(browser, anna, "search", elsewhere="/?q=helminth+infections")
    anna.get_by_role("link", name="Гельминтозы и иммунная система").click()
    anna.get_by_role("button", name="Записаться").click()
    expect(anna.locator(".flash-success")).to_contain_text("Место ваше")
    expect(anna.locator("[data-seats-for]")).to_contain_text("Свободно 0 из 1")
    expect(anna.locator(".status-confirmed")).to_be_visible()
    screenshot(anna, "course")
    course_page = anna.url

    # The coordinator sees her on the roster.
    coordinator.goto(offering_page)
    expect(coordinator.locator("#roster")).to_contain_text("Анна Смирнова")
    expect(coordinator.locator("[data-seats-for]")).to_contain_text("0 of 1 seat free")
    with coordinator.expect_download() as download:
        coordinator.get_by_role("link", name="Download the roster (CSV)").click()
    assert "Анна Смирнова" in Path(download.value.path()).read_text(encoding="utf-8")
    with coordinator.expect_download() as download:
        coordinator.get_by_role("link", name="Download the roster (Excel)").click()
    from openpyxl import load_workbook
    assert download.value.suggested_filename == "roster-HEL-510-2027-spring.xlsx"
    workbook = load_workbook(io.BytesIO(Path(download.value.path()).read_bytes()))
    assert workbook.active["C2"].value == "Анна Смирнова"

    # Sanne (LUMC) finds it full and joins the waiting list.
    sanne = signed_in(browser, front_end, "lumc-student")
    sanne.goto(course_page)
    sanne.get_by_role("button", name="Join the waiting list (0 waiting)").click()
    expect(sanne.locator(".flash-success")).to_contain_text("you are number 1 on the waiting list")
    coordinator.reload()
    expect(coordinator.locator("#waiting-list")).to_contain_text("Sanne de Vries")
    screenshot(coordinator, "roster")

    # Anna cancels, after reading what it means: the seat goes to Sanne, who sees it and is told in her inbox.
    anna.get_by_role("link", name="Отменить запись…").click()
    expect(anna.locator(".consequences")).to_contain_text("Оно перейдёт первому из 1 ожидающего студента")
    screenshots_in_both_languages(browser, anna, "cancel-enrolment")
    anna.get_by_role("button", name="Отменить запись").click()
    expect(anna.locator(".flash-success")).to_contain_text("Ваша запись отменена")
    sanne.get_by_role("link", name="My enrolments").click()
    expect(sanne.locator(".status-confirmed")).to_have_text("Confirmed")
    for _ in range(40):  # the notification travels through the outbox, the broker and a consumer
        if sanne.locator("#unread-count").count() and "2 unread" in sanne.locator("#unread-count").inner_text():
            break
        sanne.wait_for_timeout(500)
        sanne.reload()
    # Cutting the seats below the one Sanne holds is explained before anything changes.
    coordinator.goto(offering_page)
    coordinator.get_by_label("Seats").fill("0")
    coordinator.get_by_role("button", name="Change seats").click()
    expect(coordinator.get_by_role("heading", level=1)).to_have_text("Fewer seats than students with a seat")
    expect(coordinator.locator(".consequences")).to_contain_text("Nobody loses their seat and nobody is told.")
    screenshot(coordinator, "seats-warning")
    coordinator.get_by_role("link", name="Keep 1 seat").click()
    expect(coordinator.get_by_label("Seats")).to_have_value("1")

    sanne.locator("#inbox-link").click()
    expect(sanne.locator(".notification[data-kind=promoted]")).to_have_count(1)
    expect(sanne.locator(".notification[data-kind=waitlisted]")).to_have_count(1)
    screenshot(sanne, "inbox")

    # The language switch is remembered from page to page.
    sanne.get_by_role("button", name=re.compile("Русский")).click()
    expect(sanne.get_by_role("heading", level=1)).to_have_text("Уведомления")
    sanne.get_by_role("link", name="Каталог").click()
    expect(sanne.get_by_role("heading", level=1)).to_have_text("Каталог курсов")
    screenshot(sanne, "catalogue")


def test_a_coordinator_cancels_an_offering_after_reading_who_is_told_and_still_sees_who_was_enrolled(
        browser, front_end):
    from playwright.sync_api import expect

    anna = signed_in(browser, front_end, "ssmu-student")
    anna.get_by_label("Поиск курсов").fill("OPI-410")
    anna.get_by_role("button", name="Найти").click()
    anna.get_by_role("link", name=re.compile("Описторхоз")).click()
    anna.get_by_role("button", name="Записаться").click()
    expect(anna.locator(".status-confirmed")).to_be_visible()

    irina = signed_in(browser, front_end, "ssmu-coordinator")  # reads Russian
    irina.get_by_role("link", name=re.compile("Описторхоз")).click()
    irina.get_by_role("link", name="В архив…").click()
    expect(irina.locator(".consequences")).to_contain_text("1 студент с местом")
    screenshots_in_both_languages(browser, irina, "archive-confirm")
    irina.get_by_role("link", name="Не отменять").click()
    irina.get_by_role("link", name=re.compile("Список и места")).first.click()
    irina.get_by_role("link", name="Изменить даты, место или сроки записи").click()
    expect(irina.locator(".flash-notice")).to_contain_text("1 студент с местом")
    irina.get_by_label("Место").fill("СибГМУ, Московский тракт 2, ауд. 101")
    screenshots_in_both_languages(browser, irina, "offering-edit")
    irina.get_by_role("button", name="Сохранить").click()
    expect(irina.locator(".flash-success")).to_contain_text("Набор изменён")
    expect(irina.locator(".facts")).to_contain_text("ауд. 101")
    irina.get_by_role("link", name="Отменить этот набор…").click()
    expect(irina.locator(".consequences")).to_contain_text("1 студент с местом и 0 в листе ожидания")
    irina.get_by_label("Причина").fill("Преподаватель заболел.")
    screenshots_in_both_languages(browser, irina, "cancel-offering")
    irina.get_by_role("button", name="Отменить набор").click()
    expect(irina.locator(".flash-success")).to_contain_text("Набор отменён")
    for _ in range(40):  # enrolment cancels Anna's seat when the catalogue's event reaches it
        if irina.locator("#cancelled-enrolments").count():
            break
        irina.wait_for_timeout(500)
        irina.reload()
    expect(irina.locator("#cancelled-enrolments")).to_contain_text("Анна Смирнова")
    expect(irina.locator("#cancelled-enrolments")).to_contain_text("Набор отменён. Преподаватель заболел.")
    screenshot(irina, "cancelled-roster")
    irina.get_by_role("link", name=re.compile("← Описторхоз")).click()
    irina.get_by_role("link", name="История").click()
    expect(irina.locator("#history tbody tr").first).to_contain_text("Отменил(а) набор")
    expect(irina.locator("#history tbody tr").first).to_contain_text("Преподаватель заболел.")
    screenshots_in_both_languages(browser, irina, "history")

    anna.goto("/me/enrolments")
    opisthorchiasis = anna.locator(".card").filter(has_text="OPI-410")
    expect(opisthorchiasis.locator(".status-cancelled")).to_have_text("Отменена")


def test_a_stale_course_edit_shows_the_other_change_and_can_be_reapplied(browser, front_end):
    from playwright.sync_api import expect

    first = signed_in(browser, front_end, "lumc-coordinator")
    second = signed_in(browser, front_end, "lumc-coordinator")
    for page in (first, second):
        page.get_by_role("link", name=re.compile("Clinical Glycomics")).click()
        page.get_by_role("link", name="Edit course").click()

    first.get_by_label("Topics").fill("glycomics, mass spectrometry, igg")
    first.get_by_label("Title (English)").fill("Clinical Glycomics I")
    first.get_by_role("button", name="Save").click()
    expect(first.locator(".flash-success")).to_contain_text("version")

    second.get_by_label("ECTS credits").fill("6")
    second.get_by_label("Title (English)").fill("Glycomics in the Clinic")
    second.get_by_role("button", name="Save").click()
    conflict = second.locator(".conflict")
    expect(conflict).to_contain_text("Someone else changed this course")
    # Their topics, which I did not touch, are taken into the form (the browser sends the descriptions'
    # line breaks as CRLF: still "not touched"); only the title we both changed is set side by side.
    expect(conflict.locator(".taken")).to_have_text(re.compile(r"now in the form:\s+Topics, separated by commas\.$"))
    expect(conflict.locator("td.theirs")).to_have_text(["Clinical Glycomics I"])
    expect(conflict.locator("td.yours")).to_have_text(["Glycomics in the Clinic"])
    expect(second.get_by_label("Topics")).to_have_value("glycomics, mass spectrometry, igg")
    screenshot(second, "conflict")
    # Re-applying on the new version keeps both: their topics, my credits and my title.
    second.get_by_role("button", name=re.compile("Apply my changes")).click()
    expect(second.locator(".flash-success")).to_contain_text("saved")
    second.get_by_role("link", name="Edit course").click()
    expect(second.get_by_label("ECTS credits")).to_have_value("6")
    expect(second.get_by_label("Title (English)")).to_have_value("Glycomics in the Clinic")
    expect(second.get_by_label("Topics")).to_have_value("glycomics, mass spectrometry, igg")


# Issue 16's front end, read in each language, each on a course of its own so that the runs never meet.
IN_LANGUAGE = {
    "en": {"coordinator": "lumc-coordinator", "student": "lumc-student", "name": "Sanne de Vries", "other": "ssmu-student",
           "code": "MET-620",
           "course": "Metabolomics in Translational Research", "roster": "Roster and seats", "seats": "Seats",
           "change_seats": "Change seats", "new_seats": r"1 of 1 seat free|\(updating to 1 seat…\)",
           "enrol": "Enrol", "enrolled": "You have a seat: your enrolment is confirmed.",
           "waitlist": "Join the waiting list (0 waiting)", "full": "Full", "closed": "Enrolment closed",
           "change": "Change dates, place or window", "save": "Save",
           "changed": "The offering is changed; its students are told what changed.",
           "too_late": "Enrolment must close before the offering ends.",
           "past": "This date has passed: an offering that has ended cannot be scheduled.",
           "told": "Sanne de Vries enrolled in Metabolomics in Translational Research",
           "excel": "Download the roster (Excel)", "status": "Status", "history": "History",
           "history_row": "Changed an offering", "preferences": "Preferences",
           "zone": "Asia/Tomsk", "home_zone": "Europe/Amsterdam", "zone_shown": "(Tomsk, UTC+7)",
           "saved": "Your preferences are saved.",
           "same_term": "parallel groups", "group": "LUMC, group B", "schedule": "Schedule an offering",
           "scheduled": "The offering is scheduled."},
    "ru": {"coordinator": "ssmu-coordinator", "student": "ssmu-student", "name": "Анна Смирнова", "other": "lumc-student",
           "code": "IMM-610",
           "course": "Иммуномика бронхиальной астмы", "roster": "Список и места", "seats": "Мест",
           "change_seats": "Изменить число мест", "new_seats": r"Свободно 1 из 1 места|\(обновляется: будет 1 место…\)",
           "enrol": "Записаться", "enrolled": "Место ваше: запись подтверждена.",
           "waitlist": "Встать в лист ожидания (ждут 0)", "full": "Мест нет", "closed": "Запись закрыта",
           "change": "Изменить даты, место или сроки записи", "save": "Сохранить",
           "changed": "Набор изменён; студенты получат уведомление об изменениях.",
           "too_late": "Запись должна закрыться до окончания набора.",
           "past": "Эта дата уже прошла: закончившийся набор запланировать нельзя.",
           "told": "Новая запись на курс «Иммуномика бронхиальной астмы»: Анна Смирнова",
           "excel": "Скачать список (Excel)", "status": "Статус", "history": "История",
           "history_row": "Изменил(а) набор", "preferences": "Настройки",
           "zone": "Europe/Amsterdam", "home_zone": "Asia/Tomsk", "zone_shown": "(Амстердам, UTC+1)",
           "saved": "Настройки сохранены.",
           "same_term": "параллельные группы", "group": "СибГМУ, группа Б", "schedule": "Запланировать набор",
           "scheduled": "Набор запланирован."},
}


def reload_until(page, locator: str, text: str) -> None:
    """Reload until the locator shows the text: what travels through the outbox, the broker and a
    consumer takes a moment."""
    from playwright.sync_api import expect

    for _ in range(40):
        if text in " ".join(page.locator(locator).all_inner_texts()):
            break
        page.wait_for_timeout(500)
        page.reload()
    expect(page.locator(locator).filter(has_text=text).first).to_be_visible()


def mailed_links(data_dir: Path, to: str, about: str) -> list[str]:
    """The addresses in the plain-text part of the email to `to` about `about`, once the mailer wrote it."""
    import email
    import email.policy
    import time

    for _ in range(40):
        for path in (data_dir / "mail").glob("*.eml"):
            mail = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            if to in mail["To"] and about in mail["Subject"]:
                return re.findall(r"https?://\S+", mail.get_body(("plain",)).get_content())
        time.sleep(0.5)
    raise AssertionError(f"no email to {to} about {about}")


@pytest.mark.parametrize("language", ["en", "ru"])
def test_a_coordinator_changes_an_offering_and_everyone_sees_and_hears_what_it_means(browser, system, language):
    """Change-offering page with its validation, read-your-writes, the enrol button's words, the
    coordinator told in the inbox, the email's links, the Excel roster and the history, in each language."""
    from openpyxl import load_workbook
    from playwright.sync_api import expect

    words, front_end = IN_LANGUAGE[language], system["web"]
    coordinator = signed_in(browser, front_end, words["coordinator"])
    expect(coordinator.locator("html")).to_have_attribute("lang", language)
    coordinator.get_by_role("link", name=re.compile(words["course"])).click()
    manage_page = coordinator.url
    coordinator.get_by_role("link", name=re.compile(words["roster"])).first.click()
    offering_page = coordinator.url
    coordinator.get_by_label(words["seats"], exact=True).fill("1")
    coordinator.get_by_role("button", name=words["change_seats"]).click()
    # Read your writes: the new number at once, never the old one as if it were current.
    expect(coordinator.locator("[data-seats-for]")).to_contain_text(re.compile(words["new_seats"]))

    student = signed_in(browser, front_end, words["student"])
    student.goto(f"/?q={words['code']}")
    student.get_by_role("link", name=words["course"]).click()
    course_page = student.url
    student.get_by_role("button", name=words["enrol"]).click()
    expect(student.locator(".flash-success")).to_contain_text(words["enrolled"])
    expect(student.locator(".status-confirmed")).to_be_visible()

    other = signed_in(browser, front_end, words["other"], locale=language)
    other.goto(course_page)
    expect(other.get_by_role("button", name=words["waitlist"])).to_be_visible()

    coordinator.goto(offering_page)
    coordinator.get_by_role("link", name=words["change"]).click()
    edit_page = coordinator.url
    starts_on = coordinator.locator("#f-starts_on").input_value()
    coordinator.locator("#f-ends_on").fill(starts_on)
    day_after = (date.fromisoformat(starts_on) + timedelta(days=1)).isoformat()
    coordinator.locator("#f-enrolment_closes_at").fill(f"{day_after}T12:00")  # after the offering ended
    coordinator.get_by_role("button", name=words["save"]).click()
    expect(coordinator.locator("main")).to_contain_text(words["too_late"])
    for field, past in (("starts_on", "2020-01-06"), ("ends_on", "2020-01-31"),
                        ("enrolment_opens_at", "2019-12-01T08:00"), ("enrolment_closes_at", "2019-12-20T23:59")):
        coordinator.locator(f"#f-{field}").fill(past)
    coordinator.get_by_role("button", name=words["save"]).click()
    expect(coordinator.locator("main")).to_contain_text(words["past"])

    coordinator.goto(edit_page)  # a fresh form: no waiting list from now on
    scheduled = {field: coordinator.locator(f"#f-{field}").input_value()
                 for field in ("term", "starts_on", "ends_on", "enrolment_opens_at", "enrolment_closes_at")}
    coordinator.locator("#f-waitlist").uncheck()
    coordinator.get_by_role("button", name=words["save"]).click()
    expect(coordinator.locator(".flash-success")).to_contain_text(words["changed"])
    other.reload()
    expect(other.locator(".status-line")).to_contain_text(words["full"])
    expect(other.locator("button[class^=enrol]")).to_have_count(0)  # hidden where it cannot succeed

    coordinator.goto(edit_page)
    coordinator.locator("#f-enrolment_closes_at").fill(
        coordinator.locator("#f-enrolment_opens_at").input_value()[:10] + "T23:59")  # closed since the first day
    coordinator.get_by_role("button", name=words["save"]).click()
    expect(coordinator.locator(".flash-success")).to_contain_text(words["changed"])
    other.reload()
    expect(other.locator(".status-line")).to_contain_text(words["closed"])
    expect(other.locator("button[class^=enrol]")).to_have_count(0)

    coordinator.goto("/me/inbox")
    reload_until(coordinator, ".notification[data-kind=roster_changed]", words["told"])
    news = coordinator.locator(".notification[data-kind=roster_changed]").filter(has_text=words["told"])
    news.locator("a[href^='/manage/offerings/']").click()  # the roster, one click away
    expect(coordinator).to_have_url(offering_page)

    links = mailed_links(Path(system["env"]["DATA_DIR"]), words["student"], words["course"])
    course_link = next(link for link in links if "/courses/" in link)
    preferences_link = next(link for link in links if link.endswith("/me/preferences"))
    student.goto(course_link)
    expect(student.get_by_role("heading", level=1)).to_have_text(words["course"])
    student.goto(preferences_link)
    expect(student.get_by_role("heading", level=1)).to_have_text(words["preferences"])

    coordinator.goto(offering_page)
    with coordinator.expect_download() as download:
        coordinator.get_by_role("link", name=words["excel"]).click()
    sheet = load_workbook(io.BytesIO(Path(download.value.path()).read_bytes())).active
    assert download.value.suggested_filename.startswith(f"roster-{words['code']}-")
    assert (sheet["A1"].value, sheet["C2"].value) == (words["status"], words["name"])

    coordinator.goto(manage_page)
    coordinator.get_by_role("link", name=words["history"]).click()
    expect(coordinator.locator("#history tbody tr").first).to_contain_text(words["history_row"])

    # The same term twice is allowed, and the form says why: a parallel group.
    coordinator.goto(manage_page)
    expect(coordinator.locator("#same-term")).to_contain_text(words["same_term"])
    for field, value in {**scheduled, "capacity": "10", "location": words["group"]}.items():
        coordinator.locator(f"#f-{field}").fill(value)
    coordinator.get_by_role("button", name=words["schedule"]).click()
    expect(coordinator.locator(".flash-success")).to_contain_text(words["scheduled"])
    coordinator.goto(manage_page)
    expect(coordinator.locator(".card h3").filter(has_text=words["roster"])).to_have_count(2)


@pytest.mark.parametrize("language", ["en", "ru"])
def test_a_student_chooses_a_time_zone_and_pages_show_times_in_it(browser, front_end, language):
    from playwright.sync_api import expect

    words = IN_LANGUAGE[language]
    student = signed_in(browser, front_end, words["student"])
    student.get_by_role("link", name=words["preferences"]).click()
    student.locator("#f-timezone").select_option(words["zone"])
    student.get_by_role("button", name=words["save"]).click()
    expect(student.locator(".flash-success")).to_contain_text(words["saved"])
    expect(student.locator("#f-timezone")).to_have_value(words["zone"])
    screenshots_in_both_languages(browser, student, "preferences")
    student.goto(f"/?q={words['code']}")
    student.get_by_role("link", name=words["course"]).click()
    expect(student.locator(".facts").first).to_contain_text(words["zone_shown"])
    # Back home: the other browser tests (one running system) see this student in their institution's zone.
    student.get_by_role("link", name=words["preferences"]).click()
    student.locator("#f-timezone").select_option(words["home_zone"])
    student.get_by_role("button", name=words["save"]).click()
    expect(student.locator("#f-timezone")).to_have_value(words["home_zone"])


def test_the_pages_work_from_the_keyboard_on_a_phone(browser, front_end):
    from playwright.sync_api import expect

    context = browser.new_context(base_url=front_end, viewport=PHONE)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.goto("/")
    page.keyboard.press("Tab")
    expect(page.locator(":focus")).to_have_text("Skip to content")
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    expect(page.locator(":focus")).to_have_attribute("id", "q")
    page.keyboard.type("ГЛИКОМИКА")
    page.keyboard.press("Enter")
    expect(page.locator(".card h2")).to_have_count(1)
    # Nothing is wider than the phone's screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    context.close()


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_every_page_passes_an_axe_audit_in_both_languages(browser, front_end, viewport):
    found: list[str] = []
    student = signed_in(browser, front_end, "ssmu-student", viewport)
    student.goto("/?q=GLY")
    student.get_by_role("link", name=re.compile("Клиническая гликомика")).click()
    course_page = student.url
    if student.get_by_role("button", name="Записаться").count():
        student.get_by_role("button", name="Записаться").click()
    coordinator = signed_in(browser, front_end, "lumc-coordinator", viewport)
    coordinator.goto(course_page.replace("/courses/", "/manage/courses/"))
    manage = coordinator.url
    coordinator.get_by_role("link", name=re.compile("Roster and seats")).first.click()
    offering = coordinator.url
    for page, language in ((student, "ru"), (coordinator, "en")):
        # Axe's rules (names, roles, contrast, structure) pass or fail alike in both languages; at phone width each
        # person's own language is enough, on the desktop both are audited.
        other = "en" if language == "ru" else "ru"
        for locale in (language, other) if viewport == DESKTOP else (language,):
            page.context.add_cookies([{"name": "locale", "value": locale, "url": front_end}])
            addresses = ["/", "/?q=glycomics", course_page, "/me/inbox", "/no-such-page", "/signin"]
            if page is student:
                addresses += ["/me/enrolments", "/me/preferences"]
                page.goto("/me/enrolments")
                addresses += [page.get_by_role("link", name=re.compile("Отменить запись|Cancel my enrolment")).first
                              .get_attribute("href")]
            else:
                addresses += ["/manage/", "/manage/courses/new", manage, f"{manage}/edit", f"{manage}/archive",
                              f"{manage}/history", offering, f"{offering}/cancel"]
            for address in addresses:
                page.goto(address)
                found += serious_violations(page)
    assert found == []


def contrast(one: str, other: str) -> float:
    """WCAG contrast ratio of two CSS rgb()/rgba() colours."""
    def luminance(colour: str) -> float:
        red, green, blue = (int(part) / 255 for part in re.findall(r"[\d.]+", colour)[:3])
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in (red, green, blue)]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    lighter, darker = sorted((luminance(one), luminance(other)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


@pytest.mark.parametrize("language", ["en", "ru"])
def test_focus_is_visible_and_controls_are_big_enough_to_touch_on_a_phone(browser, front_end, language):
    page = signed_in(browser, front_end, "ssmu-student", PHONE, locale=language)
    page.goto("/?q=HEL")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")  # past "skip to content", onto the navigation
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineColor")
    width = page.evaluate("parseFloat(getComputedStyle(document.activeElement).outlineWidth)")
    background = page.evaluate("getComputedStyle(document.querySelector('header.site')).backgroundColor")
    assert width >= 2 and contrast(outline, background) >= 3 and contrast(outline, "rgb(255, 255, 255)") >= 3
    small = page.evaluate("""() => [...document.querySelectorAll(
            'header a, header button, main button, main .button, main select, main textarea,'
            + 'main input:not([type=hidden]):not([type=checkbox])')]
        .filter(element => element.offsetParent !== null)
        .map(element => [element.textContent.trim() || element.name, element.getBoundingClientRect()])
        .filter(([, box]) => box.height < 44 || box.width < 44).map(([name]) => name)""")
    assert small == []
    header = page.evaluate("document.querySelector('header.site').getBoundingClientRect().height")
    assert header <= 2 * 44 + 16  # two rows of touch targets, no more
    # and every link of the navigation on the screen: none hidden past its edge, the inbox least of all
    assert page.locator("header nav ul").evaluate("row => row.scrollWidth <= row.clientWidth")


@pytest.mark.parametrize("language, missing", [("en", "This page does not exist."),
                                               ("ru", "Такой страницы нет.")])
def test_an_error_page_says_what_went_wrong_in_its_heading_and_every_page_has_an_icon(browser, front_end, language,
                                                                                       missing):
    from playwright.sync_api import expect

    page = signed_in(browser, front_end, "lumc-student", locale=language)
    answer = page.goto("/no-such-page")
    assert answer.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text(missing)
    icon = page.locator("link[rel=icon]").get_attribute("href")
    assert page.request.get(icon).headers["content-type"].startswith("image/svg+xml")
    assert page.request.get("/favicon.ico").ok  # for browsers that ask for it without reading the page


def test_a_title_of_one_long_unbroken_word_wraps_instead_of_widening_the_page(browser, system):
    import httpx

    from shared.config import DEVELOPMENT_JWT_SECRET
    from shared.http.demo_tokens import demo_token
    from tests.support.payloads import course_payload

    coordinator = {"Authorization": "Bearer " + demo_token(DEVELOPMENT_JWT_SECRET, role="coordinator",
                                                            institution="LUMC")}
    title = "Pneumonoultramicroscopicsilicovolcanoconiosis" * 4 + "X" * 20  # 200 characters, no break
    course = httpx.post(f"{system['catalogue']}/api/v1/courses", headers=coordinator,
                        json=course_payload(code="LONG-1", title={"en": title})).json()
    httpx.post(f"{system['catalogue']}/api/v1/courses/{course['id']}/publish", headers=coordinator).raise_for_status()
    context = browser.new_context(base_url=system["web"], viewport=PHONE)
    page = context.new_page()
    for path in ("/?q=LONG-1", f"/courses/{course['id']}"):
        page.goto(path)
        assert page.get_by_text(title).count() >= 1
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], path
    context.close()
