"""End to end: `python -m services run`, on the embedded default and on RabbitMQ + PostgreSQL,
driven over HTTP as students and coordinators would, then stopped as an operator stops it."""

import os
import signal

import httpx
import pytest

from shared.config import DEVELOPMENT_JWT_SECRET
from shared.http.demo_tokens import demo_token
from tests.support.environment import wait_for
from tests.support.payloads import course_payload, offering_payload
from tests.support.servers import running_system as launched_system

pytestmark = pytest.mark.e2e


def as_person(role: str, institution: str, sub: str | None = None) -> dict:
    return {"Authorization": "Bearer " + demo_token(DEVELOPMENT_JWT_SECRET, role=role, institution=institution,
                                                    sub=sub)}


def real_parts(request) -> dict[str, str]:
    """Three fresh PostgreSQL databases and a RabbitMQ vhost for the whole system."""
    create = request.getfixturevalue("postgres_database_factory")
    return {"AMQP_URL": request.getfixturevalue("amqp_url"), **{
        f"{service.upper()}_DATABASE_URL": create(service) for service in ("catalogue", "enrolment", "notifications")}}


@pytest.fixture(params=["embedded", pytest.param("rabbitmq+postgresql", marks=[pytest.mark.postgres,
                                                                              pytest.mark.rabbitmq])])
def running_system(request, tmp_path):
    """The whole system, on its embedded default or on the real parts; each test takes a system of its own."""
    env, smtp = {}, None
    if request.param != "embedded":
        smtp = request.getfixturevalue("smtp_server")
        env.update(real_parts(request), SMTP_HOST="127.0.0.1", SMTP_PORT=str(smtp.port))
    with launched_system(tmp_path, env) as system:
        yield {**system, "smtp": smtp, "mail_folder": tmp_path / "mail"}


def test_a_course_is_scheduled_students_enrol_a_raised_capacity_promotes_and_ctrl_c_stops_it_all(running_system):
    system = running_system
    assert "services token" in system["banner"] and system["web"] in system["banner"]
    catalogue = httpx.Client(base_url=system["catalogue"], timeout=10)
    enrolment = httpx.Client(base_url=system["enrolment"], timeout=10)
    coordinator = as_person("coordinator", "LUMC")
    for url in (system["catalogue"], system["enrolment"], system["notifications"], system["web"]):
        assert httpx.get(f"{url}/health/ready").status_code == 200
    assert len(catalogue.get("/api/v1/courses", params={"per_page": 100}).json()) == 8  # the seed

    course = catalogue.post("/api/v1/courses", json=course_payload(), headers=coordinator).json()
    catalogue.post(f"/api/v1/courses/{course['id']}/publish", headers=coordinator)
    offering = catalogue.post(f"/api/v1/courses/{course['id']}/offerings", json=offering_payload(capacity=1),
                              headers=coordinator).json()

    # The offering reaches enrolment only through catalogue.offering.scheduled on the broker.
    wait_for(lambda: enrolment.get(f"/api/v1/offerings/{offering['id']}/seats").status_code == 200)
    first = enrolment.post("/api/v1/enrolments", json={"offering_id": offering["id"]},
                           headers=as_person("student", "SSMU", "anna")).json()
    second = enrolment.post("/api/v1/enrolments", json={"offering_id": offering["id"]},
                            headers=as_person("student", "LUMC", "sanne")).json()
    assert (first["status"], second["status"], second["waitlist_position"]) == ("confirmed", "waitlisted", 1)

    # enrolment.seats_changed brings the live seats back to the catalogue.
    wait_for(lambda: catalogue.get(f"/api/v1/offerings/{offering['id']}").json()["seats"] ==
             {"capacity": 1, "confirmed": 1, "held": 0, "available": 0, "waitlisted": 1, "reserved": []})

    # A coordinator raises the capacity in the catalogue; enrolment promotes the first in line.
    raised = catalogue.patch(f"/api/v1/offerings/{offering['id']}", json={"capacity": 2},
                             headers={**coordinator, "If-Match": '"1"'})
    assert raised.status_code == 200
    sanne = as_person("student", "LUMC", "sanne")
    wait_for(lambda: enrolment.get(f"/api/v1/enrolments/{second['id']}", headers=sanne).json()["status"]
             == "confirmed")
    wait_for(lambda: catalogue.get(f"/api/v1/offerings/{offering['id']}").json()["seats"]["confirmed"] == 2)

    # Each student is told, in their language, in the inbox and by email.
    notifications = httpx.Client(base_url=system["notifications"], timeout=10)
    inbox = wait_for(lambda: [n["kind"] for n in notifications.get("/api/v1/notifications/me", headers=sanne).json()]
                     == ["promoted", "waitlisted"] and notifications.get("/api/v1/notifications/me", headers=sanne))
    assert inbox.headers["X-Unread-Count"] == "2"
    anna = notifications.get("/api/v1/notifications/me", headers=as_person("student", "SSMU", "anna")).json()
    assert [(n["kind"], n["locale"]) for n in anna] == [("confirmed", "ru")]
    assert "Место на курсе" in anna[0]["subject"]
    wait_for(lambda: len(sent_mail(system)) == 3)
    assert sorted(subject for subject in sent_mail(system)) == sorted([
        anna[0]["subject"], *(n["subject"] for n in inbox.json())])

    # Ctrl-C stops it: the launcher stops its processes, exits 0, and nothing answers any more.
    system["process"].send_signal(signal.SIGINT)
    assert system["process"].wait(timeout=30) == 0
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{system['catalogue']}/health/live", timeout=2)


def sent_mail(system) -> list[str]:
    """Subjects of the mail the system sent: to the SMTP server, or as .eml files when embedded."""
    import email
    import email.policy

    if system["smtp"] is not None:
        return [message["Subject"] for message in system["smtp"].messages]
    files = sorted(system["mail_folder"].glob("*.eml")) if system["mail_folder"].exists() else []
    return [email.message_from_bytes(f.read_bytes(), policy=email.policy.default)["Subject"] for f in files]


# How the launcher's processes follow it does not depend on the database or the broker they use.
@pytest.mark.parametrize("running_system", ["embedded"], indirect=True)
def test_a_killed_launcher_takes_its_processes_with_it(running_system):
    launcher = running_system["process"]
    children = [int(pid) for pid in open(f"/proc/{launcher.pid}/task/{launcher.pid}/children").read().split()]
    assert len(children) == 11  # three web apps, relays and consumers, the mailer, and the web front end
    # Forked from the launcher, each is named for top and pstree (at most 15 characters).
    names = ["web", *(f"{service}-{part}" for service in ("catalogue", "enrolment", "notifications")
                      for part in ("web", "relay", "consumer")), "notifications-mailer"]
    assert sorted(open(f"/proc/{pid}/comm").read().strip() for pid in children) == sorted(name[:15] for name in names)

    launcher.kill()
    launcher.wait(timeout=10)

    def all_gone() -> bool:
        return not [pid for pid in children if os.path.exists(f"/proc/{pid}") and
                    open(f"/proc/{pid}/stat").read().split()[2] != "Z"]

    wait_for(all_gone)
