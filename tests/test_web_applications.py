"""Places by application in the front end (in-process, real services on SQLite): a coordinator opens an
offering to applications, visiting staff apply with dates, the coordinator approves with a message, the
applicant reads it; a student withdraws. Both languages; what people typed stays text."""

from __future__ import annotations

import re

import pytest

from tests.support.front_end import (csrf_token, deliver_catalogue_events, edit_offering, first_offering, person,
                                     submit, with_enrolment)

MOTIVATION = "I run <script>alert(1)</script> glycan arrays;\nI would like to learn your MS workflow."


@pytest.fixture
def apps(service_app):
    return with_enrolment(service_app)


def open_to_applications(apps, coordinator, offering_id: str) -> None:
    # today's rule until the coordinator changes it
    assert re.search(r'value="first_come"\s+checked', coordinator.get(f"/manage/offerings/{offering_id}/edit").text)
    answer = edit_offering(coordinator, offering_id, admission="application")
    assert answer.status_code == 302, answer.text
    deliver_catalogue_events(apps)


def test_visiting_staff_apply_with_dates_and_read_the_coordinators_approval(apps):
    coordinator = person(apps, "lumc-coordinator")
    path, offering_id = first_offering(coordinator)
    open_to_applications(apps, coordinator, offering_id)

    visitor = person(apps, "ssmu-staff")
    course_page = visitor.get(path).text
    assert f'href="/offerings/{offering_id}/apply"' in course_page and "Enrol</button>" not in course_page
    form = f"/offerings/{offering_id}/apply"
    assert 'name="starts_on"' in visitor.get(form).text
    refused = submit(visitor, form, {"motivation": MOTIVATION})
    assert refused.status_code == 422 and 'id="e-starts_on"' in refused.text
    sent = submit(visitor, form, {"motivation": MOTIVATION, "starts_on": "2027-03-01", "ends_on": "2027-03-14"})
    assert sent.status_code == 302 and sent.headers["Location"] == "/me/applications"
    mine = visitor.get("/me/applications").text
    assert "Ожидает решения" in mine and "Отозвать заявку" in mine  # the visitor reads Russian

    listed = coordinator.get(f"/manage/offerings/{offering_id}/applications").text
    assert "Олег Кузнецов" in listed and "March 1, 2027 – March 14, 2027" in listed
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in listed and "<script>alert" not in listed
    application_id = re.search(r'id="application-([\w-]+)"', listed).group(1)
    decided = submit(coordinator, f"/manage/offerings/{offering_id}/applications/{application_id}",
                     {"decision": "approve", "message": "Welcome to the lab <b>!</b>"},
                     f"/manage/offerings/{offering_id}/applications")
    assert "Approved: the applicant has a seat" in coordinator.get(decided.headers["Location"]).text

    mine = visitor.get("/me/applications").text
    assert "Одобрена" in mine and "Welcome to the lab &lt;b&gt;!&lt;/b&gt;" in mine
    assert "status-confirmed" in visitor.get("/me/enrolments").text


def test_approving_with_every_seat_taken_says_so_and_a_student_withdraws(apps):
    coordinator = person(apps, "lumc-coordinator")
    path, offering_id = first_offering(coordinator)
    open_to_applications(apps, coordinator, offering_id)
    student = person(apps, "lumc-student")
    assert submit(student, f"/offerings/{offering_id}/apply", {"motivation": "Glycans!"}).status_code == 302
    assert "Your application" in student.get(path).text
    assert "already" in submit(student, f"/offerings/{offering_id}/apply", {"motivation": "Again"}).text

    application_id = re.search(r'id="application-([\w-]+)"', student.get("/me/applications").text).group(1)
    page = coordinator.get(f"/manage/offerings/{offering_id}").text
    coordinator.post(f"/manage/offerings/{offering_id}/seats", data={
        "capacity": "0", "confirm": "yes", "version": re.search(r'name="version" value="(\d+)"', page).group(1),
        "csrf_token": csrf_token(page)})
    deliver_catalogue_events(apps)
    refused = submit(coordinator, f"/manage/offerings/{offering_id}/applications/{application_id}",
                     {"decision": "approve"}, f"/manage/offerings/{offering_id}/applications")
    assert "Every seat is taken" in coordinator.get(refused.headers["Location"]).text

    withdrawn = submit(student, f"/applications/{application_id}/withdraw", {}, "/me/applications")
    page = student.get(withdrawn.headers["Location"]).text
    assert "Your application is withdrawn." in page and "Withdraw my application" not in page


def test_a_coordinator_of_another_institution_cannot_open_the_applications(apps):
    coordinator = person(apps, "lumc-coordinator")
    _, offering_id = first_offering(coordinator)
    student = person(apps, "ssmu-student")
    assert student.get(f"/manage/offerings/{offering_id}/applications").status_code == 403
