"""The web front end's pages against the real catalogue and notification apps (in-process, on SQLite):
sign-in, languages, forms, conflicts, refusals and the security of its cookies and headers."""

from __future__ import annotations

import dataclasses
import html
import re
from datetime import timezone

import pytest
from sqlalchemy import select

from catalogue import operations
from catalogue.app import create_app as create_catalogue_app
from catalogue.models import Offering
from catalogue.schemas import CourseSchema
from catalogue.seed import SEED_ADMIN, seed_catalogue
from shared.config import ConfigError
from shared.migrations import upgrade
from tests.support.environment import make_settings
from tests.support.front_end import SERVICE_URLS, csrf_token, front_end, person, sign_in, submit, with_enrolment
from tests.support.payloads import course_payload
from tests.support.servers import free_port
from web.app import create_app
from web.config import DEVELOPMENT_WEB_SECRET_KEY, WebSettings
from web.identity import mint_demo_token


@pytest.fixture
def services(service_app):
    """The real catalogue (seeded) and notification apps, each on its own fresh SQLite database."""
    catalogue = service_app("catalogue")
    with catalogue.extensions["database"].transaction() as session:
        seed_catalogue(session)
    return {"catalogue": catalogue, "notifications": service_app("notifications")}


def course_with_offering(client) -> tuple[str, str]:
    """The path of the first course page in the catalogue, and the id of the offering it offers."""
    path = re.search(r'href="(/courses/[\w-]+)"', client.get("/").text).group(1)
    offering_id = re.search(r'data-seats-for="([\w-]+)"', client.get(path).text).group(1)
    return path, offering_id


@pytest.fixture
def browser(services):
    """A test client that keeps cookies, as a browser does, with the CSRF check on."""
    return front_end(services).test_client()


def form_of(page: str, **changes) -> dict:
    """The fields of the course form on `page` as the browser would send them, with `changes` typed in."""
    fields = dict(re.findall(r'<input type="hidden" name="(original_\w+)" value="([^"]*)"', page))
    fields.update(re.findall(r'name="(\w+)" type="[\w-]+" value="([^"]*)"', page))
    fields.update(re.findall(r'name="(\w+)" rows="4"[^>]*>([^<]*)</textarea>', page))
    fields["version"] = re.search(r'name="version" value="(\d+)"', page).group(1)
    fields = {name: html.unescape(value) for name, value in fields.items()}
    return {**fields, "level": "master", "csrf_token": csrf_token(page), **changes}


def test_the_catalogue_finds_a_course_by_a_russian_word_and_shows_it_in_russian(browser):
    browser.post("/language", data={"locale": "ru", "next": "/",
                                    "csrf_token": csrf_token(browser.get("/").text)})
    page = browser.get("/", query_string={"q": "ГЕЛЬМИНТЫ"}).text
    assert '<html lang="ru">' in page
    assert "<mark>Гельминтозы</mark> и иммунная система" in page and "1 курс<" in page


def test_the_catalogue_marks_what_a_search_matched_and_markup_in_a_title_stays_text(services, browser):
    assert "<mark>Immunology</mark> of <mark>Allergic</mark> Diseases" in browser.get("/", query_string={
        "q": "imunology allergies"}).text
    with services["catalogue"].extensions["database"].transaction() as session:
        course = operations.create_course(session, SEED_ADMIN, CourseSchema().load(course_payload(
            code="XSS-1", title={"en": '<b onclick="x()">Glycans</b> & <mark>co</mark>'})))
        operations.set_course_status(session, SEED_ADMIN, course.id, "published")
    page = browser.get("/", query_string={"q": "glycans"}).text
    assert ("&lt;b onclick=&#34;x()&#34;&gt;<mark>Glycans</mark>&lt;/b&gt; &amp; &lt;mark&gt;co&lt;/mark&gt;"
            in page)


def test_pages_carry_security_headers_and_the_session_cookie_is_httponly_and_lax(browser):
    answer = browser.get("/")
    csp = answer.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    assert answer.headers["X-Frame-Options"] == "DENY"
    assert answer.headers["Referrer-Policy"] == "same-origin"
    assert "<script>" not in answer.text and " style=" not in answer.text
    sign_in(browser, "ssmu-student")
    cookie = browser.get_cookie("exchange_session")
    assert cookie.http_only and cookie.same_site == "Lax"


def test_a_form_without_its_csrf_token_is_refused_with_a_readable_page(browser):
    sign_in(browser, "lumc-coordinator")
    answer = browser.post("/manage/courses/new", data={"code": "X-1"})
    assert answer.status_code == 400
    assert "The form had expired" in answer.text


def test_the_language_choice_is_remembered_and_never_redirects_off_site(browser):
    token = csrf_token(browser.get("/").text)
    answer = browser.post("/language", data={"locale": "ru", "next": "//evil.example/", "csrf_token": token})
    assert answer.headers["Location"] == "/"
    assert browser.get_cookie("locale").value == "ru"
    assert "Каталог курсов" in browser.get("/").text
    assert browser.post("/language", data={"locale": "xx", "next": "/", "csrf_token": token}).status_code == 302
    assert browser.get_cookie("locale").value == "ru"


def test_a_coordinator_creates_a_course_and_sees_field_errors_next_to_the_fields(browser):
    sign_in(browser, "lumc-coordinator")
    form = {"code": "IMM-701", "institution": "LUMC", "title_en": "Allergy in depth", "title_ru": "Аллергия",
            "description_en": "Type 2 immunity.", "description_ru": "", "ects": "five", "level": "master",
            "language": "en", "isced": "0912", "topics": "allergy, Immunology", "coordinators": "lumc-coordinator"}
    typed_wrong = submit(browser, "/manage/courses/new", form)
    assert typed_wrong.status_code == 422 and 'id="e-ects"' in typed_wrong.text and "Enter a number." in typed_wrong.text

    not_finite = submit(browser, "/manage/courses/new", {**form, "ects": "nan"})  # float() reads it; JSON cannot
    assert not_finite.status_code == 422 and 'id="e-ects"' in not_finite.text

    refused = submit(browser, "/manage/courses/new", {**form, "ects": "5", "isced": "99999"})
    assert refused.status_code == 422 and 'id="e-isced"' in refused.text
    assert "Please correct the marked fields." in refused.text

    created = submit(browser, "/manage/courses/new", {**form, "ects": "5"})
    assert created.status_code == 302
    course_page = browser.get(created.headers["Location"]).text
    assert "Allergy in depth" in course_page and "Draft" in course_page


def test_the_services_field_errors_reach_a_russian_page_in_russian(browser):
    sign_in(browser, "ssmu-coordinator")  # the token says Russian
    form = {"code": "a b", "institution": "SSMU", "title_en": "Allergy", "description_en": "Type 2 immunity.",
            "ects": "0.7", "level": "master", "language": "en", "isced": "99999", "topics": "", "coordinators": ""}
    refused = submit(browser, "/manage/courses/new", form)
    assert refused.status_code == 422 and '<html lang="ru">' in refused.text
    assert "Исправьте отмеченные поля." in refused.text
    assert "Кредиты ECTS указываются с шагом 0,5." in refused.text and "steps of 0.5" not in refused.text
    assert "Это не код области ISCED-F 2013" in refused.text and "От 1 до 32 латинских букв" in refused.text
    assert 'value="a b"' in refused.text and 'value="Allergy"' in refused.text  # nothing typed is lost


def two_coordinators_editing(services) -> tuple:
    """Two coordinators' browsers with the edit form of the same course open, and its address."""
    first, second = front_end(services).test_client(), front_end(services).test_client()
    for client in (first, second):
        sign_in(client, "lumc-coordinator")
    course_id = re.search(r'href="/manage/courses/([\w-]+)">Clinical Glycomics', first.get("/manage/").text).group(1)
    edit = f"/manage/courses/{course_id}/edit"
    return first, second, edit, first.get(edit).text, second.get(edit).text


def test_a_stale_edit_keeps_their_changes_where_you_changed_nothing_and_yours_where_you_did(services):
    other, you, edit, others_form, your_form = two_coordinators_editing(services)
    loaded = int(form_of(your_form)["version"])
    assert other.post(edit, data=form_of(others_form, title_en="Clinical Glycomics I")).status_code == 302

    conflict = you.post(edit, data=form_of(your_form, topics="glycomics, lectins"))
    assert conflict.status_code == 409 and "Someone else changed this course" in conflict.text
    assert 'class="theirs"' not in conflict.text  # nothing both of you changed: no clash to compare
    assert "Title (English)" in re.search(r'<p class="taken">.*?</p>', conflict.text, re.S).group(0)
    merged = form_of(conflict.text)
    assert merged["title_en"] == "Clinical Glycomics I" and merged["topics"] == "glycomics, lectins"
    assert merged["version"] == str(loaded + 1)  # the form now edits the other person's version

    assert you.post(edit, data=merged).status_code == 302  # "Apply my changes to version …"
    saved = form_of(you.get(edit).text)
    assert saved["title_en"] == "Clinical Glycomics I" and saved["topics"] == "glycomics, lectins"
    assert saved["version"] == str(loaded + 2)


def test_a_field_both_changed_is_shown_side_by_side_with_yours_kept_in_the_form(services):
    other, you, edit, others_form, your_form = two_coordinators_editing(services)
    assert other.post(edit, data=form_of(others_form, title_en="Clinical Glycomics I", ects="10")).status_code == 302

    conflict = you.post(edit, data=form_of(your_form, title_en="Glycomics in the Clinic"))
    assert conflict.status_code == 409
    assert '<td class="theirs">Clinical Glycomics I</td>' in conflict.text
    assert '<td class="yours">Glycomics in the Clinic</td>' in conflict.text
    merged = form_of(conflict.text)
    assert merged["title_en"] == "Glycomics in the Clinic" and merged["ects"] == "10"

    assert you.post(edit, data=merged).status_code == 302
    saved = form_of(you.get(edit).text)
    assert (saved["title_en"], saved["ects"]) == ("Glycomics in the Clinic", "10")


def my_courses(client) -> list[tuple[str, str, str]]:
    """The rows of My courses: code, the address of its page, and what the institution column says."""
    return re.findall(r'<td>([\w.-]+)</td>\s*<td><a href="(/manage/courses/[0-9a-f-]{36})">.*?</td>\s*<td>.*?</td>'
                      r'\s*<td>(.*?)</td>', client.get("/manage/").text)


@pytest.mark.parametrize("locale, marker", [
    ("en", "Co-coordinator: the course names you among its coordinators"),
    ("ru", "Вы соруководитель: курс называет вас среди своих координаторов")])
def test_my_courses_lists_the_other_institutions_courses_naming_me_marked_and_they_open(services, browser,
                                                                                        locale, marker):
    sign_in(browser, "lumc-coordinator")
    browser.post("/language", data={"locale": locale, "next": "/manage/",
                                    "csrf_token": csrf_token(browser.get("/").text)})
    rows = my_courses(browser)
    # LUMC's own courses first, then SSMU's Glycobiology for Clinicians, which names Pieter among its coordinators.
    assert [(code, institution) for code, _, institution in rows] == [
        ("CHI-530", "LUMC"), ("GLY-501", "LUMC"), ("HEL-510", "LUMC"), ("MET-620", "LUMC"),
        ("GLB-320", f'SSMU<br><span class="meta">{marker}</span>')]
    manage = browser.get(rows[-1][1])
    assert manage.status_code == 200 and f'<html lang="{locale}">' in manage.text and "GLB-320" in manage.text
    student = person(services, "ssmu-student")
    assert student.get("/manage/").status_code == student.get(rows[-1][1]).status_code == 403


def test_my_courses_lists_its_own_institutions_course_once_and_unmarked_though_it_names_them_too(services):
    # Glycobiology for Clinicians names Irina too, and is SSMU's: found by both requests, listed once.
    assert [(code, institution) for code, _, institution in my_courses(person(services, "ssmu-coordinator"))] == [
        ("ALG-401", "SSMU"), ("GLB-320", "SSMU"), ("IMM-610", "SSMU"), ("OPI-410", "SSMU")]


def test_students_may_not_open_the_coordinators_pages(browser):
    sign_in(browser, "ssmu-student")
    answer = browser.get("/manage/")
    assert answer.status_code == 403
    assert '<html lang="ru">' in answer.text and "У вас нет на это прав." in answer.text  # Anna reads Russian


def test_refusals_of_the_front_end_itself_are_pages_in_the_readers_language(browser):
    browser.set_cookie("locale", "ru")
    for answer, status, sentence in [
            (browser.get("/no-such-page"), 404, "Такой страницы нет."),
            (browser.get("/signout"), 405, "Такой страницы нет."),
            (browser.post("/language", data={"locale": "en"}), 400, "Форма устарела"),  # no CSRF token
            (browser.post("/language", data={"next": "x" * 100_000}), 413, "слишком велико")]:
        assert answer.status_code == status
        assert '<html lang="ru">' in answer.text and sentence in answer.text and "Каталог" in answer.text


def test_too_many_enrolment_attempts_say_when_to_try_again(service_app):
    client = front_end(with_enrolment(service_app, enrolment_rate_limit="1/minute")).test_client()
    sign_in(client, "lumc-student")
    path, offering_id = course_with_offering(client)
    enrol = f"/offerings/{offering_id}/enrol"
    assert "You have a seat" in client.get(submit(client, enrol, {"next": path}, path).headers["Location"]).text
    again = client.get(submit(client, enrol, {"next": path}, path).headers["Location"]).text
    assert re.search(r"Too many attempts; try again in \d+ seconds\.", again)


def test_signed_out_visitors_are_sent_to_sign_in_and_back(browser):
    answer = browser.get("/me/enrolments")
    assert answer.status_code == 302 and answer.headers["Location"] == "/signin?next=/me/enrolments"


def test_an_unknown_course_is_a_readable_404(browser):
    answer = browser.get("/courses/not-a-course")
    assert answer.status_code == 404 and "Not found." in answer.text


def test_a_service_that_does_not_answer_is_a_readable_503():
    app = create_app(WebSettings(catalogue_url=f"http://127.0.0.1:{free_port()}"))
    answer = app.test_client().get("/")
    assert answer.status_code == 503
    assert "A part of the system is not answering" in answer.text


def test_the_inbox_shows_the_unread_count_from_notifications(browser):
    sign_in(browser, "ssmu-student")
    page = browser.get("/me/inbox").text
    assert "Уведомлений пока нет." in page  # Anna's token says Russian and no cookie overrides it
    assert 'id="unread-count"' not in page


def test_production_takes_the_identity_providers_token_from_the_proxy_header_and_offers_no_demo(tmp_path):
    tokens = {"jwt_secret": "a-production-jwt-secret-of-enough-length", "jwt_issuer": "https://idp.invalid",
              "jwt_audience": "course-exchange"}
    catalogue_settings = dataclasses.replace(make_settings("catalogue", tmp_path), **tokens)
    upgrade("catalogue", catalogue_settings.database_url)
    catalogue = create_catalogue_app(catalogue_settings)
    app = front_end({"catalogue": catalogue}, app_env="production", secret_key="w" * 40, **tokens)
    client = app.test_client()
    assert "identity provider" in client.get("/signin").text
    # With a valid CSRF token, so that it is the view that refuses (a missing token would be a 400 first).
    token = csrf_token(client.get("/signin").text)
    assert client.post("/signin", data={"person": "ssmu-student", "csrf_token": token}).status_code == 404
    token = mint_demo_token(WebSettings(**tokens), "lumc-coordinator")
    page = client.get("/manage/", headers={"X-Forwarded-Access-Token": token})
    assert page.status_code == 200 and "Dr. Pieter Jansen" in page.text
    forged = mint_demo_token(WebSettings(), "lumc-coordinator")  # signed with the development secret
    assert client.get("/manage/", headers={"X-Forwarded-Access-Token": forged}).status_code == 302
    catalogue.extensions["database"].dispose()


def test_production_refuses_the_development_secrets():
    production = {"APP_ENV": "production", "JWT_ISSUER": "https://idp.invalid", "JWT_AUDIENCE": "course-exchange"}
    with pytest.raises(ConfigError, match="WEB_SECRET_KEY"):
        WebSettings.from_env({**production, "JWT_SECRET": "j" * 40})
    with pytest.raises(ConfigError, match="JWT_SECRET"):
        WebSettings.from_env({**production, "WEB_SECRET_KEY": "w" * 40})
    with pytest.raises(ConfigError, match="JWT_ISSUER and JWT_AUDIENCE"):
        WebSettings.from_env({"APP_ENV": "production", "WEB_SECRET_KEY": "w" * 40, "JWT_SECRET": "j" * 40})
    settings = WebSettings.from_env({**production, "WEB_SECRET_KEY": "w" * 40, "JWT_SECRET": "j" * 40,
                                     "CATALOGUE_URL": "http://catalogue-web:8000/", "WEB_PORT": "9000"})
    assert (settings.catalogue_url, settings.port, settings.demo_sign_in) == ("http://catalogue-web:8000", 9000, False)
    assert WebSettings.from_env({}).secret_key == DEVELOPMENT_WEB_SECRET_KEY


@pytest.mark.parametrize("page", ["%C2%B2", "0", "-3", "x", "999999999999"])
def test_any_page_number_in_the_address_shows_a_catalogue_page(browser, page):
    answer = browser.get(f"/?page={page}")  # "²" counts as a digit to str.isdigit() but not to int()
    assert answer.status_code == 200 and "Course catalogue" in answer.text


def test_an_idempotency_key_the_enrolment_service_would_refuse_is_replaced_by_a_fresh_one(service_app):
    client = front_end(with_enrolment(service_app)).test_client()
    sign_in(client, "lumc-student")
    path, offering_id = course_with_offering(client)
    answer = submit(client, f"/offerings/{offering_id}/enrol", {"idempotency_key": "ключ-1", "next": path}, path)
    assert answer.status_code == 302  # not a 500 from a header value that is not ASCII
    assert "You have a seat" in client.get(path).text


@pytest.mark.parametrize("version", ["１", "3é", "", "1\r\nX-Injected: 1"])
def test_a_version_that_is_not_plain_digits_is_a_bad_request(browser, version):
    sign_in(browser, "lumc-coordinator")
    course_id = re.search(r'href="/manage/courses/([\w-]+)">Clinical Glycomics', browser.get("/manage/").text).group(1)
    edit = f"/manage/courses/{course_id}/edit"
    answer = browser.post(edit, data=form_of(browser.get(edit).text, version=version))
    assert answer.status_code == 400 and "reload the page" in answer.text


def test_a_next_address_with_control_characters_goes_to_the_default_page(browser):
    token = csrf_token(browser.get("/").text)
    answer = browser.post("/language", data={"locale": "ru", "next": "/a\r\nSet-Cookie: x=1", "csrf_token": token})
    assert answer.status_code == 302 and answer.headers["Location"] == "/"


def test_an_unticked_waiting_list_stays_unticked_after_a_form_error(browser):
    sign_in(browser, "lumc-coordinator")
    course_id = re.search(r'href="/manage/courses/([\w-]+)">Clinical Glycomics', browser.get("/manage/").text).group(1)
    page = f"/manage/courses/{course_id}"
    waitlist_box = re.compile(r'<input id="f-waitlist" name="waitlist" type="checkbox"\s*(checked)?\s*>')
    assert waitlist_box.search(browser.get(page).text).group(1) == "checked"  # a new offering keeps a waiting list
    # An unticked box is not sent at all; the missing location sends the form back.
    refused = submit(browser, f"{page}/offerings", {"term": "2031-spring", "capacity": "10"}, page)
    assert refused.status_code == 422
    assert waitlist_box.search(refused.text).group(1) is None


def test_the_course_page_shows_the_catalogues_seats_while_enrolment_does_not_answer(services):
    client = front_end(services, enrolment_url=f"http://127.0.0.1:{free_port()}").test_client()
    path = re.search(r'href="(/courses/[\w-]+)"', client.get("/").text).group(1)
    page = client.get(path)
    assert page.status_code == 200 and re.search(r"\d+ of \d+ seats free", page.text)
    sign_in(client, "lumc-student")
    page = client.get(path)
    assert page.status_code == 200 and re.search(r"\d+ of \d+ seats free", page.text)
    assert "Your place:</strong> unknown just now" in page.text


@pytest.mark.parametrize("suffix", ["%3F", "%23", "%3Fstatus=draft"])
def test_an_id_is_one_path_segment_of_the_service_call_and_cannot_steer_it(browser, suffix):
    path = re.search(r'href="(/courses/[\w-]+)"', browser.get("/").text).group(1)
    # Sent unquoted, "<id>?" or "<id>#" asked the catalogue for course <id> itself: no such course exists.
    answer = browser.get(path + suffix)
    assert answer.status_code == 404 and "Not found." in answer.text



def first_managed_course(client) -> str:
    return re.search(r'href="/manage/courses/([0-9a-f-]{36})"', client.get("/manage/").text).group(1)


def schedule_in_2031(client, course_id: str, closes_local: str) -> None:
    """Schedule an offering whose enrolment window closes at a local time, typed as the coordinator would."""
    page = f"/manage/courses/{course_id}"
    answer = submit(client, f"{page}/offerings", {
        "term": "2031-spring", "starts_on": "2031-02-03", "ends_on": "2031-02-28", "capacity": "10",
        "enrolment_opens_at": "2031-01-05T09:00", "enrolment_closes_at": closes_local, "waitlist": "on",
        "location": "Tomsk"}, page)
    assert answer.status_code == 302, answer.text


def stored_window_close(services) -> str:
    with services["catalogue"].extensions["database"].transaction() as session:
        closes = session.scalars(select(Offering.enrolment_closes_at).where(Offering.term == "2031-spring")).one()
    return closes.astimezone(timezone.utc).isoformat()


def test_a_window_typed_in_tomsk_time_is_stored_as_its_utc_instant_and_shown_in_each_readers_zone(services, browser):
    sign_in(browser, "ssmu-coordinator")  # reads Russian; no zone chosen: SSMU's, Asia/Tomsk
    course_id = first_managed_course(browser)
    assert "Запись закрывается (время: Томск)" in browser.get(f"/manage/courses/{course_id}").text
    schedule_in_2031(browser, course_id, "2031-01-26T05:59")
    assert stored_window_close(services) == "2031-01-25T22:59:00+00:00"
    assert "26 янв. 2031, 05:59 (Томск, UTC+7)" in browser.get(f"/courses/{course_id}").text
    in_leiden = front_end(services).test_client()
    sign_in(in_leiden, "lumc-student")
    assert "25 Jan 2031, 23:59 (Amsterdam, UTC+1)" in in_leiden.get(f"/courses/{course_id}").text


def test_the_zone_a_person_chose_is_the_one_their_forms_are_read_in(services, browser):
    token = mint_demo_token(WebSettings(**SERVICE_URLS), "lumc-coordinator")
    chosen = services["notifications"].test_client().put("/api/v1/preferences/me", headers={
        "Authorization": f"Bearer {token}"}, json={"locale": "en", "email": True, "timezone": "Asia/Tomsk"})
    assert chosen.status_code == 200
    sign_in(browser, "lumc-coordinator")
    course_id = first_managed_course(browser)
    assert "Enrolment opens (Tomsk time)" in browser.get(f"/manage/courses/{course_id}").text
    schedule_in_2031(browser, course_id, "2031-01-26T05:59")
    assert stored_window_close(services) == "2031-01-25T22:59:00+00:00"


def test_while_notifications_does_not_answer_times_are_in_the_institutions_zone(services):
    client = front_end(services, notifications_url=f"http://127.0.0.1:{free_port()}").test_client()
    sign_in(client, "ssmu-coordinator")
    page = client.get(f"/manage/courses/{first_managed_course(client)}")
    assert page.status_code == 200 and "Запись открывается (время: Томск)" in page.text


def test_the_site_has_an_icon_and_error_pages_have_a_heading(browser):
    assert 'rel="icon" href="/static/favicon.svg"' in browser.get("/").text
    answer = browser.get("/favicon.ico")
    assert answer.status_code == 301 and answer.headers["Location"].endswith("/static/favicon.svg")
    assert browser.get("/static/favicon.svg").mimetype == "image/svg+xml"
    assert '<h1 class="refusal">This page does not exist.</h1>' in browser.get("/no-such-page").text


def test_the_roster_download_is_the_spreadsheet_safe_csv_named_after_the_course_and_term(service_app):
    from enrolment import operations
    from shared.http.auth import Principal

    apps = with_enrolment(service_app)
    client = front_end(apps).test_client()
    sign_in(client, "lumc-coordinator")
    path, offering_id = course_with_offering(client)
    with apps["enrolment"].extensions["database"].transaction() as session:
        operations.enrol_student(session, Principal("ssmu-student-9", "student", "SSMU", "s9@ssmu.ru",
                                                    "=HYPERLINK(\"https://evil.example\")", "ru"), offering_id)
        offering = operations.get_offering(session, offering_id)
        expected_name = f"roster-{offering.course_code}-{offering.term}.csv"
    answer = client.get(f"/manage/offerings/{offering_id}/roster.csv")
    assert answer.status_code == 200 and answer.mimetype == "text/csv"
    assert answer.headers["Content-Disposition"] == f'attachment; filename="{expected_name}"'
    assert answer.data.startswith("\ufeff".encode()) and b'"\'=HYPERLINK(' in answer.data


def test_signing_out_ends_the_session_on_the_server_so_a_copy_of_the_cookie_signs_nobody_in(browser):
    sign_in(browser, "ssmu-student")
    copied = browser.get_cookie("exchange_session").value  # another tab, a shared computer, a thief
    assert browser.get("/me/inbox").status_code == 200
    assert "eyJ" not in copied  # the cookie names the session; the token stays on the server
    submit(browser, "/signout", {}, "/")
    thief = browser.application.test_client()
    thief.set_cookie("exchange_session", copied)
    answer = thief.get("/me/inbox")
    assert answer.status_code == 302 and "/signin" in answer.headers["Location"]


@pytest.mark.parametrize("app_env", ["test", "production"])
def test_demo_sign_in_is_offered_in_development_only(services, app_env):
    production = {"secret_key": "w" * 40, "jwt_secret": "j" * 40, "jwt_issuer": "https://idp.invalid",
                  "jwt_audience": "course-exchange"} if app_env == "production" else {}
    client = front_end(services, app_env=app_env, **production).test_client()
    assert "ssmu-student" not in client.get("/signin").text
    token = csrf_token(client.get("/signin").text)
    assert client.post("/signin", data={"person": "ssmu-student", "csrf_token": token}).status_code == 404


def test_the_front_end_asks_browsers_for_https_in_production_only(services):
    production = front_end(services, app_env="production", secret_key="w" * 40, jwt_secret="j" * 40,
                           jwt_issuer="https://idp.invalid", jwt_audience="course-exchange").test_client()
    assert production.get("/").headers["Strict-Transport-Security"].startswith("max-age=31536000")
    assert "Strict-Transport-Security" not in front_end(services).test_client().get("/").headers
