"""Notifications: each student told once, in their language, in the inbox and by email over real SMTP."""

import uuid
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from notifications.handlers import handlers
from notifications.messages import FrontEnd
from notifications.mailer import Mailer, SmtpTransport
from notifications.models import EmailDelivery, Notification, Preference
from shared import events
from shared.messaging.consumer import Outcome, handle_event
from shared.messaging.envelope import Event
from tests.support.environment import make_settings, migrated_database
from tests.support.payloads import ANNA, FRONT_END_URL, OFFERING, SANNE, bearer, enrolment_event, offering_snapshot
from tests.support.problems import assert_problem
from tests.support.servers import free_port
from tests.support.smtp import SmtpInbox

@pytest.fixture
def db(tmp_path):
    database = migrated_database("notifications", make_settings("notifications", tmp_path))
    yield database
    database.dispose()

HANDLERS = handlers(FrontEnd(FRONT_END_URL))


def rows(db, model) -> int:
    with db.transaction() as session:
        return session.scalar(select(func.count()).select_from(model))


def mailer(db, port, **options) -> Mailer:
    return Mailer(db, SmtpTransport("127.0.0.1", port), "Exchange <exchange@lumc-ssmu.invalid>", **options)


def test_a_student_is_told_in_their_language_in_the_inbox_and_by_email(db, smtp_server):
    handle_event(db, HANDLERS, enrolment_event(events.ENROLMENT_WAITLISTED))
    with db.transaction() as session:
        notification = session.scalars(select(Notification)).one()
        assert (notification.user_id, notification.kind, notification.locale) == ("ssmu-student", "waitlisted", "ru")
        assert "3" in notification.subject and "Гельминтозы" in notification.subject

    assert mailer(db, smtp_server.port).send_due() == 1
    (mail,) = smtp_server.messages
    assert mail["Subject"] == notification.subject  # Cyrillic subject intact after encoding
    assert mail["To"] == "Анна Смирнова <anna@ssmu.ru>"
    assert mail["Content-Language"] == "ru"
    assert mail["Message-ID"].strip() == f"<notification.{notification.id}@course-exchange>"
    text, html = (part for part in mail.iter_parts())
    assert text.get_content_type() == "text/plain" and html.get_content_type() == "text/html"
    assert "Здравствуйте, Анна Смирнова!" in text.get_content()
    assert "Гельминтозы" in html.get_content() and text.get_content_charset() == "utf-8"


def test_a_stored_preference_beats_the_locale_in_the_event(db, smtp_server):
    with db.transaction() as session:
        session.add(Preference(user_id="ssmu-student", locale="en", email=True))
    handle_event(db, HANDLERS, enrolment_event(events.ENROLMENT_CONFIRMED, status="confirmed", position=None))
    mailer(db, smtp_server.port).send_due()
    assert smtp_server.messages[0]["Subject"] == "Your seat in Helminth Infections and the Immune System is confirmed"


@pytest.mark.parametrize("student", [ANNA, SANNE], ids=["ru", "en"])
def test_an_enrolment_email_links_to_the_course_page_and_the_preferences_whatever_the_title(db, smtp_server, student):
    hostile = '<a href="https://evil.example/">Claim your seat</a>'
    offering = {**OFFERING, "course_title": {"en": hostile, "ru": hostile}}
    handle_event(db, HANDLERS, enrolment_event(events.ENROLMENT_CONFIRMED, student, "confirmed", None,
                                               offering=offering))
    mailer(db, smtp_server.port).send_due()
    (mail,) = smtp_server.messages
    text, html = (part.get_content() for part in mail.iter_parts())
    course_page, preferences = f"{FRONT_END_URL}/courses/c-1", f"{FRONT_END_URL}/me/preferences"
    assert course_page in text and preferences in text and hostile in text  # plain text: data as typed
    assert f'href="{course_page}"' in html and f'href="{preferences}"' in html
    assert "evil.example/\"" not in html and "&lt;a href=&#34;https://evil.example/&#34;&gt;" in html


def test_with_email_off_the_inbox_still_fills(db, smtp_server):
    with db.transaction() as session:
        session.add(Preference(user_id="ssmu-student", locale="ru", email=False))
    handle_event(db, HANDLERS, enrolment_event(events.ENROLMENT_PROMOTED, status="confirmed", position=None))
    assert mailer(db, smtp_server.port).send_due() == 0
    assert rows(db, Notification) == 1 and rows(db, EmailDelivery) == 0 and smtp_server.messages == []


def test_a_duplicated_event_sends_one_email_and_one_notification(db, smtp_server):
    event = enrolment_event(events.ENROLMENT_WAITLISTED)
    assert handle_event(db, HANDLERS, event) is Outcome.HANDLED
    assert handle_event(db, HANDLERS, event) is Outcome.DUPLICATE
    mailer(db, smtp_server.port).send_due()
    mailer(db, smtp_server.port).send_due()
    assert rows(db, Notification) == 1 and len(smtp_server.messages) == 1


def test_smtp_down_then_up_delivers_once_and_other_work_goes_on(db):
    server = SmtpInbox()
    port = free_port()
    handle_event(db, HANDLERS, enrolment_event(events.ENROLMENT_WAITLISTED))
    send = mailer(db, port, backoff_seconds=0.2)

    assert send.send_due() == 0  # nobody listens on the port
    handle_event(db, HANDLERS, enrolment_event(events.ENROLMENT_CONFIRMED, SANNE, "confirmed", None))
    assert rows(db, Notification) == 2  # the inbox does not wait for mail
    with db.transaction() as session:
        delivery = session.scalars(select(EmailDelivery).order_by(EmailDelivery.id)).first()
        assert (delivery.status, delivery.attempts) == ("pending", 1) and "Connection refused" in delivery.last_error

    server.start(port)
    try:
        deadline = datetime.now(timezone.utc) + timedelta(seconds=10)
        while len(server.messages) < 2 and datetime.now(timezone.utc) < deadline:
            send.send_due()
        send.send_due()
    finally:
        server.stop()
    assert sorted(m["To"].addresses[0].addr_spec for m in server.messages) == ["anna@ssmu.ru", "sanne@lumc.nl"]
    with db.transaction() as session:
        assert {d.status for d in session.scalars(select(EmailDelivery))} == {"sent"}


def test_after_the_last_attempt_the_email_is_marked_failed_and_shown(db, tmp_path, service_app):
    app = service_app("notifications", database_url=db.url)
    handle_event(db, HANDLERS, enrolment_event(events.ENROLMENT_WAITLISTED))
    send = mailer(db, free_port(), backoff_seconds=0, max_attempts=2)
    send.send_due()
    send.send_due()

    inbox = app.test_client().get("/api/v1/notifications/me", headers=bearer("student", "SSMU")).get_json()
    assert inbox[0]["email"]["status"] == "failed" and inbox[0]["email"]["attempts"] == 2
    assert "Connection refused" in inbox[0]["email"]["last_error"]


def test_a_schedule_change_reaches_those_holding_or_waiting_for_a_seat_only(db):
    handle_event(db, HANDLERS, enrolment_event(events.ENROLMENT_CONFIRMED, SANNE, "confirmed", None))
    handle_event(db, HANDLERS, enrolment_event(events.ENROLMENT_WAITLISTED, ANNA))
    gone = {**ANNA, "id": "gone", "email": "gone@ssmu.ru"}
    handle_event(db, HANDLERS, enrolment_event(events.ENROLMENT_CONFIRMED, gone, "confirmed", None))
    handle_event(db, HANDLERS, enrolment_event(events.ENROLMENT_CANCELLED, gone, "cancelled", None, "student"))

    def updated(changes):
        return Event(type=events.OFFERING_UPDATED, producer="catalogue",
                     data={**offering_snapshot(offering_id="off-1"), "changes": changes})

    handle_event(db, HANDLERS, updated({"capacity": {"from": 2, "to": 3}}))
    handle_event(db, HANDLERS, updated({"location": {"from": "LUMC, Leiden", "to": "Online"}}))
    with db.transaction() as session:
        told = {(n.user_id, n.locale) for n in session.scalars(
            select(Notification).where(Notification.kind == "offering_changed"))}
    assert told == {("lumc-student", "en"), ("ssmu-student", "ru")}


def test_a_changed_enrolment_window_is_told_in_each_students_own_time_zone(db):
    handle_event(db, HANDLERS, enrolment_event(events.ENROLMENT_CONFIRMED, SANNE, "confirmed", None))
    handle_event(db, HANDLERS, enrolment_event(events.ENROLMENT_WAITLISTED, ANNA))
    handle_event(db, HANDLERS, Event(type=events.OFFERING_UPDATED, producer="catalogue", data={
        **offering_snapshot(offering_id="off-1"), "changes": {"enrolment_closes_at": {
            "from": "2027-01-18T22:59:00Z", "to": "2027-01-25T22:59:00Z"}}}))
    with db.transaction() as session:
        emails = {d.notification.user_id: (d.notification.body, d.html) for d in session.scalars(
            select(EmailDelivery).join(Notification).where(Notification.kind == "offering_changed"))}
    # 23:59 in Leiden is 05:59 the next morning in Tomsk; no seconds, the zone named, in text and HTML.
    for text in emails["lumc-student"]:
        assert "18 Jan 2027, 23:59 (Amsterdam, UTC+1)" in text and "25 Jan 2027, 23:59 (Amsterdam, UTC+1)" in text
    for text in emails["ssmu-student"]:
        assert "26 янв. 2027, 05:59 (Томск, UTC+7)" in text
        assert ":59:00" not in text and "UTC)" not in text


def test_a_chosen_time_zone_beats_the_institutions(db, service_app):
    app = service_app("notifications", database_url=str(db.engine.url))
    answer = app.test_client().put("/api/v1/preferences/me", json={"locale": "en", "email": True,
                                                                   "timezone": "Europe/Amsterdam"},
                                   headers=bearer(sub=ANNA["id"]))
    assert answer.status_code == 200, answer.get_json()
    handle_event(db, HANDLERS, enrolment_event(events.ENROLMENT_WAITLISTED, ANNA))
    handle_event(db, HANDLERS, Event(type=events.OFFERING_UPDATED, producer="catalogue", data={
        **offering_snapshot(offering_id="off-1"), "changes": {"enrolment_opens_at": {
            "from": "2026-12-01T07:00:00Z", "to": "2026-12-01T06:00:00Z"}}}))
    with db.transaction() as session:
        body = session.scalars(select(Notification.body).where(Notification.kind == "offering_changed")).one()
    assert "1 Dec 2026, 08:00 (Amsterdam, UTC+1)" in body and "07:00 (Amsterdam, UTC+1)" in body


def test_an_older_enrolment_event_arriving_late_does_not_undo_a_newer_one(db):
    now = datetime.now(timezone.utc)
    handle_event(db, HANDLERS, enrolment_event(events.ENROLMENT_CONFIRMED, SANNE, "confirmed", None, at=now))
    handle_event(db, HANDLERS, enrolment_event(events.ENROLMENT_WAITLISTED, SANNE, at=now - timedelta(minutes=1)))
    from notifications.operations import audience

    with db.transaction() as session:
        (member,) = audience(session, "off-1")
        assert member.waiting is False


def test_the_inbox_is_newest_first_with_an_unread_count_and_private(db, service_app):
    app = service_app("notifications", database_url=db.url)
    client = app.test_client()
    handle_event(db, HANDLERS, enrolment_event(events.ENROLMENT_WAITLISTED))
    handle_event(db, HANDLERS, enrolment_event(events.ENROLMENT_PROMOTED, status="confirmed", position=None))
    anna = bearer("student", "SSMU")

    response = client.get("/api/v1/notifications/me", headers=anna)
    inbox = response.get_json()
    assert [n["kind"] for n in inbox] == ["promoted", "waitlisted"]
    assert response.headers["X-Unread-Count"] == "2"

    read = client.post(f"/api/v1/notifications/{inbox[0]['id']}/read", headers=anna).get_json()
    assert read["read_at"] is not None
    assert client.get("/api/v1/notifications/me", headers=anna).headers["X-Unread-Count"] == "1"

    sanne = bearer("student", "LUMC")
    assert client.get("/api/v1/notifications/me", headers=sanne).get_json() == []
    assert_problem(client.post(f"/api/v1/notifications/{inbox[1]['id']}/read", headers=sanne),
                   404, "notification_not_found")
    assert_problem(client.get("/api/v1/notifications/me"), 401, "unauthorized")
    assert_problem(client.post(f"/api/v1/notifications/{uuid.uuid4()}/read", headers=anna),
                   404, "notification_not_found")


def test_an_email_that_cannot_be_built_fails_alone_and_the_rest_go_out(db, smtp_server):
    broken = {**ANNA, "id": "broken", "email": "not an address\r\nBcc: everyone@example.org"}
    handle_event(db, HANDLERS, enrolment_event(events.ENROLMENT_WAITLISTED, broken))
    handle_event(db, HANDLERS, enrolment_event(events.ENROLMENT_CONFIRMED, SANNE, "confirmed", None))
    send = mailer(db, smtp_server.port)
    send.send_due()
    send.send_due()
    with db.transaction() as session:
        statuses = {d.to_address.split("@")[0]: (d.status, d.attempts) for d in session.scalars(select(EmailDelivery))}
    assert statuses["sanne"] == ("sent", 1)
    assert [m["To"].addresses[0].addr_spec for m in smtp_server.messages] == ["sanne@lumc.nl"]
    broken_status = next(value for key, value in statuses.items() if key != "sanne")
    assert broken_status[0] == "failed" and broken_status[1] == 1


COORDINATED = {**OFFERING, "coordinators": ["lumc-coordinator", "ssmu-coordinator", "lumc-coordinator"]}


def coordinators_inbox(db) -> dict[str, tuple[str, str]]:
    with db.transaction() as session:
        return {n.user_id: (n.locale, n.subject) for n in session.scalars(
            select(Notification).where(Notification.kind == "roster_changed"))}


def test_each_coordinator_is_told_once_in_their_inbox_in_their_language_and_not_by_email(db, smtp_server):
    with db.transaction() as session:
        session.add(Preference(user_id="ssmu-coordinator", locale="ru", email=True))
    event = enrolment_event(events.ENROLMENT_WAITLISTED, SANNE, offering=COORDINATED)
    handle_event(db, HANDLERS, event)
    assert handle_event(db, HANDLERS, event) is Outcome.DUPLICATE  # redelivered: nobody is told twice
    assert coordinators_inbox(db) == {
        "lumc-coordinator": ("en", "Sanne de Vries joined the waiting list for Helminth Infections and the "
                                   "Immune System (number 3)"),
        "ssmu-coordinator": ("ru", "Лист ожидания курса «Гельминтозы и иммунная система»: Sanne de Vries, № 3")}
    mailer(db, smtp_server.port).send_due()
    assert [m["To"].addresses[0].addr_spec for m in smtp_server.messages] == ["sanne@lumc.nl"]  # the student's


@pytest.mark.parametrize("event_type, status, cancelled_by, told", [
    (events.ENROLMENT_CONFIRMED, "confirmed", None, True),
    (events.ENROLMENT_PROMOTED, "confirmed", None, True),
    (events.ENROLMENT_CANCELLED, "cancelled", "student", True),
    (events.ENROLMENT_CANCELLED, "cancelled", "coordinator", False),  # their own doing
    (events.ENROLMENT_CANCELLED, "cancelled", "catalogue", False),  # they cancelled the offering
])
def test_coordinators_hear_what_students_did_not_what_they_did_themselves(db, event_type, status, cancelled_by, told):
    handle_event(db, HANDLERS, enrolment_event(event_type, SANNE, status, None, cancelled_by, offering=COORDINATED))
    assert bool(coordinators_inbox(db)) is told


def test_an_event_without_coordinators_or_about_a_coordinator_enrolling_tells_only_the_student(db):
    handle_event(db, HANDLERS, enrolment_event(events.ENROLMENT_CONFIRMED, SANNE, "confirmed", None))  # older event
    themselves = {**SANNE, "id": "lumc-coordinator"}
    handle_event(db, HANDLERS, enrolment_event(events.ENROLMENT_CONFIRMED, themselves, "confirmed", None,
                                               offering={**OFFERING, "coordinators": ["lumc-coordinator"]}))
    assert coordinators_inbox(db) == {} and rows(db, Notification) == 2
