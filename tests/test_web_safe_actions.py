"""Destructive actions in the front end ask first and say who will be told, tell them, and leave a record;
coordinators are offered only what they may do, and a refused save keeps what was typed. Against the real
catalogue, enrolment and notification apps in-process, with their events handed on as the consumers would."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import datetime

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from catalogue.handlers import HANDLERS as CATALOGUE_HANDLERS
from enrolment.handlers import HANDLERS as ENROLMENT_HANDLERS
from notifications.handlers import handlers
from notifications.messages import FrontEnd
from shared.messaging.consumer import handle_event
from shared.messaging.envelope import Event
from shared.messaging.outbox import OutboxMessage
from tests.support.front_end import csrf_token, front_end, sign_in, submit, with_enrolment
from tests.support.payloads import FRONT_END_URL, bearer
from web.roster_xlsx import XLSX_MIMETYPE

# Who consumes whose events (DESIGN section 2).
NOTIFICATION_HANDLERS = handlers(FrontEnd(FRONT_END_URL))
CONSUMERS = {"catalogue": (("enrolment", ENROLMENT_HANDLERS), ("notifications", NOTIFICATION_HANDLERS)),
             "enrolment": (("notifications", NOTIFICATION_HANDLERS), ("catalogue", CATALOGUE_HANDLERS))}


class System:
    """The three apps and the front end; `deliver()` hands every new event to its consumers."""

    def __init__(self, service_app):
        self.services = with_enrolment(service_app)
        self.delivered: set[str] = set()
        self.deliver()  # enrolment already has the seeded catalogue's events; notifications has not needed them

    def client(self, person: str):
        client = front_end(self.services).test_client()
        sign_in(client, person)
        return client

    def deliver(self) -> None:
        while True:
            new = [(producer, event) for producer in CONSUMERS for event in self.outbox(producer)
                   if event.id not in self.delivered]
            if not new:
                return
            for producer, event in new:
                self.delivered.add(event.id)
                for consumer, handlers in CONSUMERS[producer]:
                    handle_event(self.services[consumer].extensions["database"], handlers, event)

    def outbox(self, service: str) -> list[Event]:
        with self.services[service].extensions["database"].transaction() as session:
            return [Event.from_json(body) for body in session.scalars(select(OutboxMessage.body)
                                                                      .order_by(OutboxMessage.id))]


@pytest.fixture
def system(service_app):
    return System(service_app)


def helminth_course(client) -> tuple[str, str]:
    """The LUMC course HEL-510's id and the id of its offering."""
    course_id = re.search(r'href="/courses/([\w-]+)"', client.get("/", query_string={"q": "HEL-510"}).text).group(1)
    offering_id = re.search(r'data-seats-for="([\w-]+)"', client.get(f"/courses/{course_id}").text).group(1)
    return course_id, offering_id


def helminth_offering_page(system) -> tuple:
    """Pieter's client, HEL-510's course and offering ids, the offering's page and the version it shows."""
    pieter = system.client("lumc-coordinator")
    course_id, offering_id = helminth_course(pieter)
    offering = f"/manage/offerings/{offering_id}"
    version = re.search(r'name="version" value="(\d+)"', pieter.get(offering).text).group(1)
    return pieter, course_id, offering_id, offering, version


def enrol(system, person: str) -> tuple:
    client = system.client(person)
    course_id, offering_id = helminth_course(client)
    assert submit(client, f"/offerings/{offering_id}/enrol", {"next": "/"}, f"/courses/{course_id}").status_code == 302
    system.deliver()
    return client, course_id, offering_id


def test_a_student_cancelling_is_told_what_happens_first_and_nothing_happens_until_they_confirm(system):
    anna, course_id, _ = enrol(system, "ssmu-student")
    enrolment_id = re.search(r'/enrolments/([\w-]+)/cancel', anna.get(f"/courses/{course_id}").text).group(1)
    cancel = f"/enrolments/{enrolment_id}/cancel"

    page = anna.get(cancel, query_string={"next": f"/courses/{course_id}"}).text
    assert '<html lang="ru">' in page and "Что произойдёт" in page and "Вы отказываетесь от места." in page
    assert 'name="confirm" value="yes"' in page
    # A form sent without the confirmation (an old page, a script) only shows the question again.
    assert "Что произойдёт" in submit(anna, cancel, {}, cancel).text
    assert "status-confirmed" in anna.get(f"/courses/{course_id}").text

    done = submit(anna, cancel, {"confirm": "yes", "next": f"/courses/{course_id}"}, cancel)
    assert done.status_code == 302 and done.headers["Location"] == f"/courses/{course_id}"
    assert "Ваша запись отменена." in anna.get(done.headers["Location"]).text
    assert "Эта запись уже отменена." in anna.get(cancel).text


def test_the_coordinator_reads_in_the_inbox_who_enrolled_and_who_cancelled(system):
    anna, course_id, _ = enrol(system, "ssmu-student")
    pieter = system.client("lumc-coordinator")
    inbox = pieter.get("/me/inbox").text
    assert "Анна Смирнова enrolled in Helminth Infections and the Immune System" in inbox
    assert 'data-kind="roster_changed"' in inbox and "/manage/offerings/" in inbox  # the roster's address

    enrolment_id = re.search(r'/enrolments/([\w-]+)/cancel', anna.get(f"/courses/{course_id}").text).group(1)
    cancel = f"/enrolments/{enrolment_id}/cancel"
    submit(anna, cancel, {"confirm": "yes"}, cancel)
    system.deliver()
    assert "Анна Смирнова cancelled their enrolment in Helminth" in pieter.get("/me/inbox").text
    assert "Helminth" not in system.client("lumc-student").get("/me/inbox").text  # nobody else is told


def test_lowering_seats_below_the_confirmed_count_warns_first(system):
    enrol(system, "ssmu-student")
    enrol(system, "lumc-student")
    pieter = system.client("lumc-coordinator")
    _, offering_id = helminth_course(pieter)
    offering = f"/manage/offerings/{offering_id}"
    page = pieter.get(offering).text
    version = re.search(r'name="version" value="(\d+)"', page).group(1)
    seats = re.search(r'name="capacity"[^>]*value="(\d+)"', page, re.S).group(1)

    warning = pieter.post(f"{offering}/seats", data={"capacity": "1", "version": version,
                                                     "csrf_token": csrf_token(page)})
    assert warning.status_code == 200 and "2 students have a seat; you asked for 1 seats." in warning.text
    assert "Nobody loses their seat" in warning.text and "until 1 student has left" in warning.text
    assert re.search(r'name="capacity"[^>]*value="(\d+)"', pieter.get(offering).text, re.S).group(1) == seats

    lowered = pieter.post(f"{offering}/seats", data={"capacity": "1", "version": version, "confirm": "yes",
                                                     "csrf_token": csrf_token(warning.text)})
    assert lowered.status_code == 302 and "Seats changed to 1." in pieter.get(offering).text
    raised = submit(pieter, f"{offering}/seats", {"capacity": "30", "version": str(int(version) + 1)}, offering)
    assert raised.status_code == 302  # raising needs no warning


@pytest.mark.parametrize("typed, said", [("lots", "Enter a number."), ("-5", "From 0 to 10000.")])
def test_a_refused_change_of_seats_keeps_the_number_typed_and_says_why(system, typed, said):
    pieter, _, offering_id, offering, version = helminth_offering_page(system)
    refused = submit(pieter, f"{offering}/seats", {"capacity": typed, "version": version}, offering)
    assert refused.status_code == 422
    assert f'value="{typed}"' in refused.text and said in refused.text, refused.text.split("<main")[1]


def test_cancelling_an_offering_says_who_is_told_tells_them_and_keeps_them_on_the_page(system):
    anna, course_id, offering_id = enrol(system, "ssmu-student")
    pieter = system.client("lumc-coordinator")
    cancel = f"/manage/offerings/{offering_id}/cancel"
    page = pieter.get(cancel).text
    assert "1 student with a seat" in page and "0 waiting" in page and "told by email and in their inbox" in page

    done = submit(pieter, cancel, {"confirm": "yes", "reason": "The lecturer is ill <b>sorry</b>"}, cancel)
    assert done.status_code == 302
    system.deliver()
    offering_page = pieter.get(done.headers["Location"]).text
    assert "The offering is cancelled; its students are told." in offering_page
    gone = re.search(r'<table aria-labelledby="cancelled-title".*?</table>', offering_page, re.S).group(0)
    assert "Анна Смирнова" in gone and "The offering was cancelled." in gone
    assert "The lecturer is ill &lt;b&gt;sorry&lt;/b&gt;" in gone  # typed text is data, not markup
    inbox = anna.get("/me/inbox").text
    assert "The lecturer is ill" in inbox
    assert "Отменена" in anna.get("/me/enrolments").text


def test_archiving_a_course_with_students_asks_first_then_tells_them_and_keeps_its_page(system):
    anna, course_id, offering_id = enrol(system, "ssmu-student")
    pieter = system.client("lumc-coordinator")
    archive = f"/manage/courses/{course_id}/archive"
    assert "Archive…" in pieter.get(f"/manage/courses/{course_id}").text  # a link to the question, not a button
    page = pieter.get(archive).text
    assert "Archive Helminth Infections and the Immune System?" in page
    assert "1 student with a seat" in page and "told by email and in their inbox" in page
    assert "Archived" not in pieter.get(f"/manage/courses/{course_id}").text

    done = submit(pieter, archive, {"confirm": "yes", "reason": "The course moves to the new programme."}, archive)
    assert done.status_code == 302 and "The course is archived." in pieter.get(done.headers["Location"]).text
    system.deliver()
    assert "The course moves to the new programme." in anna.get("/me/inbox").text
    course_page = anna.get(f"/courses/{course_id}")  # her link still leads somewhere, and says why
    assert course_page.status_code == 200 and "Курс в архиве" in course_page.text
    assert "0 курсов" in anna.get("/", query_string={"q": "HEL-510"}).text  # but the catalogue no longer lists it


def test_a_coordinator_is_offered_only_what_they_may_do(system):
    pieter = system.client("lumc-coordinator")
    form = pieter.get("/manage/courses/new").text
    assert '<select id="f-institution"' not in form and 'name="institution" value="LUMC"' in form
    ssmu_course = re.search(r'href="/courses/([\w-]+)"', pieter.get("/", query_string={"institution": "SSMU"}).text)
    course_page = pieter.get(f"/courses/{ssmu_course.group(1)}").text
    assert "/manage/courses/" not in course_page  # no Manage button on a course he cannot edit
    assert pieter.get(f"/manage/courses/{ssmu_course.group(1)}").status_code == 403
    lumc_course_id, _ = helminth_course(pieter)
    assert f"/manage/courses/{lumc_course_id}" in pieter.get(f"/courses/{lumc_course_id}").text


def test_a_course_save_the_catalogue_refuses_keeps_everything_typed(system):
    pieter = system.client("lumc-coordinator")
    typed = {"code": "IMM-777", "institution": "SSMU", "title_en": "A course typed with care", "title_ru": "",
             "description_en": "Long thought-out text.", "description_ru": "", "ects": "5", "level": "master",
             "language": "en", "isced": "0912", "topics": "allergy", "coordinators": ""}
    refused = submit(pieter, "/manage/courses/new", typed)  # a tampered form: not his institution
    assert refused.status_code == 422 and "You may not do that." in refused.text
    assert "A course typed with care" in refused.text and "Long thought-out text." in refused.text


def test_the_enrol_button_says_what_will_happen_in_the_readers_language(system):
    pieter, course_id, offering_id, offering, version = helminth_offering_page(system)
    assert submit(pieter, f"{offering}/seats", {"capacity": "1", "version": version}, offering).status_code == 302
    system.deliver()
    enrol(system, "lumc-student")
    anna = system.client("ssmu-student")
    page = anna.get(f"/courses/{course_id}").text
    assert "Встать в лист ожидания (ждут 0)" in page and ">Записаться<" not in page


def test_a_courses_history_says_who_changed_what_and_when_in_the_readers_language(system):
    _, _, offering_id = enrol(system, "ssmu-student")
    pieter = system.client("lumc-coordinator")
    course_id, _ = helminth_course(pieter)
    cancel = f"/manage/offerings/{offering_id}/cancel"
    submit(pieter, cancel, {"confirm": "yes", "reason": "<script>x</script>"}, cancel)
    page = pieter.get(f"/manage/courses/{course_id}/history").text
    assert "History of HEL-510" in page and "Cancelled an offering" in page and "Published the course" in page
    assert "<del>—</del> → <ins>&lt;script&gt;x&lt;/script&gt;</ins>" in page
    irina = system.client("ssmu-coordinator")  # may not edit LUMC's course: no history for her
    assert irina.get(f"/manage/courses/{course_id}/history").status_code == 403


def test_the_roster_downloads_as_a_workbook_whose_cells_are_never_formulas(system):
    _, _, offering_id = enrol(system, "ssmu-student")
    hostile = bearer("student", "LUMC", sub="lumc-student-2", name='=HYPERLINK("http://evil.example","x")')
    enrolment = system.services["enrolment"].test_client()
    assert enrolment.post("/api/v1/enrolments", json={"offering_id": offering_id}, headers=hostile).status_code == 201
    pieter = system.client("lumc-coordinator")
    pieter.set_cookie("locale", "ru")  # he reads Russian today
    answer = pieter.get(f"/manage/offerings/{offering_id}/roster.xlsx")
    assert answer.status_code == 200 and answer.mimetype == XLSX_MIMETYPE
    assert 'filename="roster-HEL-510-2027-spring.xlsx"' in answer.headers["Content-Disposition"]
    workbook = load_workbook(io.BytesIO(answer.data))
    rows = list(workbook.active.iter_rows(values_only=True))
    assert rows[0][:3] == ("Статус", "Номер", "Имя")
    assert rows[0][-2:] == ("Предложение действует до (UTC)", "Место из брони для")
    assert [row[2] for row in rows[1:]] == ["Анна Смирнова", '=HYPERLINK("http://evil.example","x")']
    assert rows[1][0] == "Подтверждена" and isinstance(rows[1][6], datetime)
    with zipfile.ZipFile(io.BytesIO(answer.data)) as files:
        sheet = files.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet  # stored as text: nothing to evaluate


def test_a_coordinator_moves_an_offering_and_its_students_are_told(system):
    anna, course_id, offering_id = enrol(system, "ssmu-student")
    pieter = system.client("lumc-coordinator")
    edit = f"/manage/offerings/{offering_id}/edit"
    page = pieter.get(edit).text
    assert "1 student with a seat" in page and "told by email and in their inbox" in page
    form = dict(re.findall(r'name="(\w+)" type="[\w-]+" value="([^"]*)"', page))
    version = re.search(r'name="version" value="(\d+)"', page).group(1)
    assert form["enrolment_closes_at"][10] == "T" and len(form["enrolment_closes_at"]) == 16

    too_late = submit(pieter, edit, {**form, "version": version, "waitlist": "on",
                                     "enrolment_closes_at": f"{form['ends_on']}T23:59", "ends_on": form["starts_on"]})
    assert too_late.status_code == 422 and "Enrolment must close before the offering ends." in too_late.text
    assert f'value="{form["starts_on"]}"' in too_late.text  # what was typed stays

    moved = submit(pieter, edit, {**form, "version": version, "waitlist": "on", "location": "LUMC, room J-1-83"})
    assert moved.status_code == 302
    system.deliver()
    assert "LUMC, room J-1-83" in pieter.get(moved.headers["Location"]).text
    assert "J-1-83" in anna.get("/me/inbox").text  # told, in her language

    stale = submit(pieter, edit, {**form, "version": version, "waitlist": "on", "location": "Elsewhere"})
    assert stale.status_code == 409 and "Someone else changed this offering" in stale.text
    assert 'value="Elsewhere"' in stale.text and "LUMC, room J-1-83" in stale.text


def test_seats_just_changed_are_said_to_be_updating_until_enrolment_has_them(system):
    pieter, course_id, offering_id, offering, version = helminth_offering_page(system)
    submit(pieter, f"{offering}/seats", {"capacity": "7", "version": version}, offering)
    assert "(updating to 7 seats…)" in pieter.get(offering).text  # enrolment has not heard yet
    polled = pieter.get(f"/offerings/{offering_id}/seats.json", query_string={"capacity": "7"}).get_json()
    assert polled["text"].endswith("(updating to 7 seats…)")
    system.deliver()
    assert "7 of 7 seats free, 0 waiting<" in pieter.get(offering).text
    anna = system.client("ssmu-student")
    assert "Свободно 7 из 7 мест" in anna.get(f"/courses/{course_id}").text


def test_preferences_set_the_language_of_pages_and_messages_and_email_on_or_off(system):
    sanne = system.client("lumc-student")
    page = sanne.get("/me/preferences").text
    assert 'value="en" checked' in page and 'id="f-email" name="email" type="checkbox" checked' in page
    saved = submit(sanne, "/me/preferences", {"locale": "ru"}, "/me/preferences")  # email unticked
    assert saved.status_code == 302 and sanne.get_cookie("locale").value == "ru"
    page = sanne.get("/me/preferences").text
    assert "Настройки сохранены." in page and 'value="ru" checked' in page
    assert 'id="f-email" name="email" type="checkbox" >' in page
    stored = system.services["notifications"].test_client().get(
        "/api/v1/preferences/me", headers=bearer("student", "LUMC")).get_json()
    assert (stored["locale"], stored["email"]) == ("ru", False)


def test_preferences_set_the_time_zone_and_the_next_pages_use_it(system):
    sanne = system.client("lumc-student")
    page = sanne.get("/me/preferences").text
    assert '<option value="Europe/Amsterdam" selected>Amsterdam (Europe/Amsterdam)</option>' in page
    submit(sanne, "/me/preferences", {"locale": "en", "email": "on", "timezone": "Asia/Tomsk"}, "/me/preferences")
    stored = system.services["notifications"].test_client().get(
        "/api/v1/preferences/me", headers=bearer("student", "LUMC")).get_json()
    assert stored["timezone"] == "Asia/Tomsk"
    assert '<option value="Asia/Tomsk" selected>Tomsk (Asia/Tomsk)</option>' in sanne.get("/me/preferences").text
    # Anything but a zone name leaves the stored zone as it was.
    submit(sanne, "/me/preferences", {"locale": "en", "timezone": "../../etc/passwd"}, "/me/preferences")
    stored = system.services["notifications"].test_client().get(
        "/api/v1/preferences/me", headers=bearer("student", "LUMC")).get_json()
    assert stored["timezone"] == "Asia/Tomsk"
