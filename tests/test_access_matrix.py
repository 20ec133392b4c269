"""The access matrix of docs/security.md, read from that document and checked cell by cell against
the running services: whatever the document says is what the services do."""

from __future__ import annotations

import re
from itertools import count
from pathlib import Path

import httpx
import pytest

from shared.config import DEVELOPMENT_JWT_SECRET
from shared.http.demo_tokens import demo_token
from tests.support.environment import wait_for
from tests.support.payloads import course_payload, offering_payload
from tests.support.servers import running_system

pytestmark = pytest.mark.e2e

MATRIX_DOCUMENT = Path(__file__).parents[1] / "docs" / "security.md"
PEOPLE = {
    "anonymous": None,
    "student": ("student", "SSMU", "ssmu-student"),
    "other student": ("student", "LUMC", "lumc-student"),
    "coordinator": ("coordinator", "LUMC", "lumc-coordinator"),
    "co-coordinator": ("coordinator", "SSMU", "ssmu-cocoordinator"),
    "foreign coordinator": ("coordinator", "SSMU", "ssmu-coordinator"),
    "admin": ("admin", "LUMC", "lumc-admin"),
}
SERVICE_OF_PATH = [(re.compile(r"^/api/v1/(enrolments|erasures$|applications|"
                               r"offerings/[^/]+/(seats|roster|applications))"), "enrolment"),
                   (re.compile(r"^/api/v1/(notifications|preferences)"), "notifications"),
                   (re.compile(r"^/api/v1/"), "catalogue")]
unique = count(1)


def read_matrix() -> list[tuple[str, str, dict[str, int]]]:
    """Return (method, path template, expected status by person) for each row of the document's table."""
    rows, header = [], None
    for line in MATRIX_DOCUMENT.read_text().splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if cells[0] == "request":
            header = cells[1:]
            assert header == list(PEOPLE), f"the matrix's columns changed: {header}"
        elif header and line.startswith("| `"):
            method, path = cells[0].strip("`").split(" ", 1)
            rows.append((method, path, {person: int(cell) for person, cell in zip(header, cells[1:], strict=True)}))
    assert len(rows) >= 20, "the matrix in docs/security.md was not found"
    return rows


def headers_of(person: str) -> dict[str, str]:
    if PEOPLE[person] is None:
        return {}
    role, institution, sub = PEOPLE[person]
    return {"Authorization": "Bearer " + demo_token(DEVELOPMENT_JWT_SECRET, role=role, institution=institution,
                                                    sub=sub)}


def body_for(method: str, path: str, things: dict[str, str]) -> dict | None:
    """The request body a row needs, valid in itself, so only who asks decides the answer."""
    if path == "/api/v1/courses" and method == "POST":
        return course_payload(code=f"ACL-{next(unique)}")
    if path.endswith("/offerings") and method == "POST":
        return offering_payload()
    if path == "/api/v1/enrolments":
        return {"offering_id": things["open_offering"]}
    if path == "/api/v1/applications":
        return {"offering_id": things["application_offering"], "motivation": "access matrix"}
    if path.endswith(("/approve", "/decline")):
        return {"message": "access matrix"}
    if path.endswith("/cancel") and "offerings" in path:
        return {"reason": "access matrix"}
    if method == "PATCH" and "courses" in path:
        return {"topics": ["access matrix"]}
    if method == "PATCH":
        return {"location": "LUMC, Leiden, room J-01-86"}
    if method == "PUT":
        return {"locale": "en", "email": True}
    return None


@pytest.fixture(scope="module")
def system(tmp_path_factory):
    with running_system(tmp_path_factory.mktemp("access")) as system:
        yield system


@pytest.fixture(scope="module")
def things(system) -> dict[str, str]:
    """The course, draft, archived course, offerings, enrolments and notification the matrix's rows name."""
    catalogue = httpx.Client(base_url=system["catalogue"], headers=headers_of("coordinator"), timeout=10)
    enrolment = httpx.Client(base_url=system["enrolment"], headers=headers_of("student"), timeout=10)
    notifications = httpx.Client(base_url=system["notifications"], headers=headers_of("student"), timeout=10)
    course = catalogue.post("/api/v1/courses", json=course_payload(
        code="ACL-COURSE", coordinators=["ssmu-cocoordinator"])).json()
    catalogue.post(f"/api/v1/courses/{course['id']}/publish").raise_for_status()
    draft = catalogue.post("/api/v1/courses", json=course_payload(code="ACL-DRAFT")).json()
    archived = catalogue.post("/api/v1/courses", json=course_payload(code="ACL-ARCHIVED")).json()
    for action in ("publish", "archive"):
        catalogue.post(f"/api/v1/courses/{archived['id']}/{action}").raise_for_status()
    offerings = {name: catalogue.post(f"/api/v1/courses/{course['id']}/offerings", json=offering_payload()).json()["id"]
                 for name in ("offering", "open_offering", "cancellable_offering", "other_offering")}
    offerings |= {name: catalogue.post(f"/api/v1/courses/{course['id']}/offerings",
                                       json=offering_payload(admission="application")).json()["id"]
                  for name in ("application_offering", "deciding_offering", "withdrawing_offering")}
    offerings |= {name: catalogue.post(f"/api/v1/courses/{course['id']}/offerings",
                                       json=offering_payload(capacity=1, promotion="offer")).json()["id"]
                  for name in ("accepting_offering", "declining_offering")}
    for offering in offerings.values():
        wait_for(lambda offering=offering: enrolment.get(f"/api/v1/offerings/{offering}/seats").status_code == 200)
    enrolled = enrolment.post("/api/v1/enrolments", json={"offering_id": offerings["offering"]}).json()
    cancellable = enrolment.post("/api/v1/enrolments", json={"offering_id": offerings["other_offering"]}).json()
    offers = {name: offered_to_the_student(system, offerings[offering])
              for name, offering in (("offered_enrolment", "accepting_offering"),
                                     ("declinable_enrolment", "declining_offering"))}
    applications = {name: httpx.post(f"{system['enrolment']}/api/v1/applications", headers=headers_of(person), json={
        "offering_id": offerings[offering], "motivation": "access matrix"}).json()["id"] for name, person, offering in (
        ("pending_application", "student", "deciding_offering"),
        ("approvable_application", "other student", "deciding_offering"),
        ("withdrawable_application", "student", "withdrawing_offering"))}
    wait_for(lambda: notifications.get("/api/v1/notifications/me").json())
    notification = notifications.get("/api/v1/notifications/me").json()[-1]
    return {"course": course["id"], "draft": draft["id"], "archived": archived["id"], **offerings, "enrolment": enrolled["id"],
            "cancellable_enrolment": cancellable["id"], "notification": notification["id"], **applications, **offers}


def offered_to_the_student(system, offering_id: str) -> str:
    """The other student takes the one seat, the student waits, the other cancels: the seat is offered to the
    student. Return the student's enrolment id."""
    def enrol(person):
        return httpx.post(f"{system['enrolment']}/api/v1/enrolments", headers=headers_of(person),
                          json={"offering_id": offering_id}).json()["id"]

    seated, waiting = enrol("other student"), enrol("student")
    httpx.post(f"{system['enrolment']}/api/v1/enrolments/{seated}/cancel",
               headers=headers_of("other student")).raise_for_status()
    return waiting


@pytest.mark.parametrize("method, template, expected", read_matrix(), ids=lambda value: str(value)[:60])
def test_every_cell_of_the_access_matrix(system, things, method, template, expected):
    path = template.format(**things)
    service = next(name for pattern, name in SERVICE_OF_PATH if pattern.match(template))
    answers = {}
    for person in PEOPLE:
        headers = {**headers_of(person), "If-Match": "*"} if method == "PATCH" else headers_of(person)
        answer = httpx.request(method, system[service] + path, headers=headers,
                               json=body_for(method, template, things), timeout=10)
        answers[person] = answer.status_code
        if answer.status_code >= 400:
            assert answer.headers["Content-Type"] == "application/problem+json", (person, answer.text)
    assert answers == expected


def test_one_student_sees_nothing_of_another_students_enrolments_or_notifications(system, things):
    def mine(service: str, path: str, person: str) -> list[dict]:
        return httpx.get(system[service] + path, headers=headers_of(person), params={"per_page": 100}).json()

    student_enrolments = mine("enrolment", "/api/v1/enrolments/me", "student")
    assert things["enrolment"] in {item["id"] for item in student_enrolments}
    assert {item["student_id"] for item in student_enrolments} == {"ssmu-student"}
    other_enrolments = mine("enrolment", "/api/v1/enrolments/me", "other student")
    assert {item["student_id"] for item in other_enrolments} <= {"lumc-student"}
    assert things["enrolment"] not in {item["id"] for item in other_enrolments}

    student_inbox = mine("notifications", "/api/v1/notifications/me", "student")
    assert things["notification"] in {item["id"] for item in student_inbox}
    for person in ("other student", "coordinator", "co-coordinator", "admin"):
        inbox = mine("notifications", "/api/v1/notifications/me", person)
        assert things["notification"] not in {item["id"] for item in inbox}, person


@pytest.mark.parametrize("thing, code", [("draft", "ACL-DRAFT"), ("archived", "ACL-ARCHIVED")])
def test_unpublished_courses_are_listed_only_to_their_editors(system, things, thing, code):
    def listed(person: str) -> set[str]:
        found = httpx.get(f"{system['catalogue']}/api/v1/courses", headers=headers_of(person), params={"q": code})
        return {item["id"] for item in found.json()} if found.status_code == 200 else set()

    assert {person for person in PEOPLE if things[thing] in listed(person)} == {"coordinator", "admin"}
