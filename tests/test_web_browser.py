"""The web front end in a real browser (Debian's Chromium, driven by Playwright) against the whole system:
students find, enrol, wait and get promoted; coordinators change seats, read the roster, and see conflicts.

Set WEB_SCREENSHOTS=docs/screenshots to also save the README's screenshots (desktop and phone width).
"""

from __future__ import annotations

import io
import os
import re
from pathlib import Path

import pytest

from tests.support.environment import IN_CI
from tests.support.servers import running_system

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

CHROMIUM = Path("/usr/bin/chromium")
# Without the background-networking flags Chromium hangs on a closed network.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
DESKTOP = {"width": 1280, "height": 860}
PHONE = {"width": 390, "height": 844}
TIMEOUT_MS = 20_000


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is missing: apt-get install chromium (Playwright's own browser is never downloaded)"
        if IN_CI:
            pytest.fail(f"CI=true but {reason}", pytrace=False)
        pytest.skip(reason)
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=TIMEOUT_MS)  # the machine may be busy; a slow answer is not a wrong one
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def system(tmp_path_factory):
    """The whole system on the embedded default, started by the launcher; yields each part's URL."""
    with running_system(tmp_path_factory.mktemp("system")) as system:
        yield system


@pytest.fixture(scope="module")
def front_end(system):
    return system["web"]


def signed_in(browser, front_end: str, person: str, viewport=DESKTOP):
    """A fresh browser context (its own cookies) signed in as a demo person; return its page."""
    from playwright.sync_api import expect

    context = browser.new_context(base_url=front_end, viewport=viewport)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.goto("/signin")
    page.locator(f"button[name=person][value={person}]").click()
    expect(page.locator(".flash-success")).to_be_visible()
    return page


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
    screenshot(anna, "cancel-enrolment")
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
    screenshot(irina, "archive-confirm")
    irina.get_by_role("link", name="Не отменять").click()
    irina.get_by_role("link", name=re.compile("Список и места")).first.click()
    irina.get_by_role("link", name="Изменить даты, место или сроки записи").click()
    expect(irina.locator(".flash-notice")).to_contain_text("1 студент с местом")
    irina.get_by_label("Место").fill("СибГМУ, Московский тракт 2, ауд. 101")
    screenshot(irina, "offering-edit")
    irina.get_by_role("button", name="Сохранить").click()
    expect(irina.locator(".flash-success")).to_contain_text("Набор изменён")
    expect(irina.locator(".facts")).to_contain_text("ауд. 101")
    irina.get_by_role("link", name="Отменить этот набор…").click()
    expect(irina.locator(".consequences")).to_contain_text("1 студент с местом и 0 в листе ожидания")
    irina.get_by_label("Причина").fill("Преподаватель заболел.")
    screenshot(irina, "cancel-offering")
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
    screenshot(irina, "history")

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


def serious_violations(page) -> list[str]:
    """What axe-core (injected by axe-playwright-python) finds on the page at serious or critical impact."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [f"{page.url}: {violation['id']} ({violation['impact']}): {violation['help']} "
            f"{[node['target'] for node in violation['nodes']][:3]}"
            for violation in results.response["violations"] if violation["impact"] in ("serious", "critical")]


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
        for locale in (language, "en" if language == "ru" else "ru"):
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


def test_focus_is_visible_and_controls_are_big_enough_to_touch_on_a_phone(browser, front_end):
    page = signed_in(browser, front_end, "ssmu-student", PHONE)
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
