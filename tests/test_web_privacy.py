"""The front end's privacy pages: a student downloads their data and asks to be forgotten (confirmed first,
no script needed); an admin does both on someone's behalf and follows the erasure through each service."""

from __future__ import annotations

import json

from sqlalchemy import select

from enrolment.models import Enrolment
from notifications.mailer import FolderTransport, Mailer
from shared.config import DEVELOPMENT_JWT_SECRET
from shared.http.demo_tokens import demo_token
from shared.privacy import ErasureRecord
from tests.support.front_end import csrf_token, front_end, submit
from tests.test_web_safe_actions import System

TOKEN_HEADER = "X-Forwarded-Access-Token"


def enrolled_student(service_app):
    system = System(service_app)
    client = system.client("ssmu-student")
    scheduled = next(event for event in system.outbox("catalogue") if event.type == "catalogue.offering.scheduled")
    submit(client, f"/offerings/{scheduled.data['offering_id']}/enrol", {}, form_page="/me/enrolments")
    system.deliver()
    system.offering_id = scheduled.data["offering_id"]
    return system, client


def test_a_student_downloads_everything_the_three_services_hold_about_them(service_app):
    system, client = enrolled_student(service_app)
    assert 'href="/me/privacy/export.json"' in client.get("/me/privacy").text
    download = client.get("/me/privacy/export.json")
    assert download.status_code == 200 and download.mimetype == "application/json"
    assert download.headers["Content-Disposition"].startswith('attachment; filename="personal-data-')
    export = json.loads(download.data)
    assert set(export["services"]) == {"catalogue", "enrolment", "notifications"}
    assert export["services"]["enrolment"]["enrolments"][0]["student"]["id"] == export["person_id"]
    assert export["services"]["notifications"]["notifications"]


def test_a_student_is_forgotten_only_after_confirming_and_is_signed_out(service_app):
    system, client = enrolled_student(service_app)
    client.set_cookie("locale", "en")
    page = client.get("/me/privacy/forget")
    assert page.status_code == 200 and "It cannot be undone" in page.text
    client.post("/me/privacy/forget", data={"csrf_token": csrf_token(page.text)})  # not confirmed: nothing
    database = system.services["enrolment"].extensions["database"]
    with database.reading() as session:
        assert session.scalars(select(Enrolment.student_id)).one() == "ssmu-student"

    done = client.post("/me/privacy/forget", data={"csrf_token": csrf_token(page.text), "confirm": "yes"})
    assert done.status_code == 302
    with database.reading() as session:
        assert session.scalars(select(Enrolment.student_id)).one().startswith("erased-")
    assert client.get("/me/privacy").status_code == 302  # signed out
    coordinator = system.client("lumc-coordinator")
    coordinator.set_cookie("locale", "en")
    roster = coordinator.get(f"/manage/offerings/{system.offering_id}").text
    assert "(data erased at their request)" in roster and "ssmu-student" not in roster


def test_the_forget_page_speaks_russian(service_app):
    _system, client = enrolled_student(service_app)
    client.set_cookie("locale", "ru")
    assert "Это нельзя отменить" in client.get("/me/privacy/forget").text


def test_an_admin_erases_someone_and_sees_each_service_complete_it(service_app, tmp_path):
    system, _student = enrolled_student(service_app)
    admin = front_end(system.services, app_env="test").test_client()
    token = {TOKEN_HEADER: demo_token(DEVELOPMENT_JWT_SECRET, role="admin", institution="LUMC")}
    assert admin.get("/me/privacy/forget", headers=token).status_code == 403  # students and visiting staff only
    confirm = admin.get("/admin/erasures/new?person_id=ssmu-student", headers=token)
    assert confirm.status_code == 200 and "ssmu-student" in confirm.text
    done = admin.post("/admin/erasures/new", headers=token, data={
        "csrf_token": csrf_token(confirm.text), "person_id": "ssmu-student", "confirm": "yes"})
    assert done.status_code == 302
    status_page = done.headers["Location"]
    assert admin.get(status_page, headers=token).text.count("Not yet") == 2  # enrolment did its part at once

    system.deliver()
    assert "Removing copies outside the database" in admin.get(status_page, headers=token).text
    Mailer(system.services["notifications"].extensions["database"], FolderTransport(tmp_path / "mail"),
           "exchange@test.invalid").send_due()  # removes the files of her queued emails before sending any
    page = admin.get(status_page, headers=token).text
    assert page.count("Complete") == 3
    assert status_page.rsplit("/", 1)[1] in admin.get("/admin/erasures", headers=token).text
    export = json.loads(admin.get("/admin/export.json?person_id=ssmu-student", headers=token).data)
    assert export["services"]["enrolment"]["enrolments"] == []


def test_visiting_staff_may_ask_to_be_forgotten_and_coordinators_are_sent_to_an_admin(service_app):
    system, _student = enrolled_student(service_app)
    client = front_end(system.services, app_env="test").test_client()
    client.set_cookie("locale", "ru")
    staff = {TOKEN_HEADER: demo_token(DEVELOPMENT_JWT_SECRET, role="staff", institution="SSMU")}
    assert 'href="/me/privacy/forget"' in client.get("/me/privacy", headers=staff).text
    page = client.get("/me/privacy/forget", headers=staff)
    assert page.status_code == 200 and "Все рассматриваемые заявки отзываются" in page.text
    done = client.post("/me/privacy/forget", headers=staff, data={"csrf_token": csrf_token(page.text), "confirm": "yes"})
    assert done.status_code == 302
    with system.services["enrolment"].extensions["database"].reading() as session:
        assert session.scalar(select(ErasureRecord.requested_by)) == "staff"
    coordinator = {TOKEN_HEADER: demo_token(DEVELOPMENT_JWT_SECRET, role="coordinator", institution="LUMC")}
    assert 'href="/me/privacy/forget"' not in client.get("/me/privacy", headers=coordinator).text
    assert client.get("/me/privacy/forget", headers=coordinator).status_code == 403
