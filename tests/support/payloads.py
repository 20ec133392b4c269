"""What tests send and receive: tokens of demo people, valid request bodies, event data."""

from __future__ import annotations

import uuid
from datetime import datetime, timezone

from shared.config import DEVELOPMENT_JWT_SECRET
from shared.db import Database
from shared.http.auth import Principal
from shared.http.demo_tokens import demo_token
from shared.messaging.envelope import Event

LUMC_COORDINATOR = Principal("lumc-coordinator", "coordinator", "LUMC", "p@lumc.nl", "Pieter", "en")
OTHER_LUMC_COORDINATOR = Principal("lumc-2", "coordinator", "LUMC", "q@lumc.nl", "Quinten", "en")
SSMU_COORDINATOR = Principal("ssmu-coordinator", "coordinator", "SSMU", "i@ssmu.ru", "Ирина", "ru")
SSMU_STUDENT = Principal("ssmu-student", "student", "SSMU", "a@ssmu.ru", "Анна", "ru")


def bearer(role: str = "student", institution: str = "SSMU", **claims) -> dict[str, str]:
    """Return an Authorization header for a demo person."""
    token = demo_token(DEVELOPMENT_JWT_SECRET, role=role, institution=institution, **claims)
    return {"Authorization": f"Bearer {token}"}


def seeded_events(db: Database) -> list:
    """Seed the demo catalogue into `db` and return the events it put in the outbox."""
    from sqlalchemy import select

    from catalogue.seed import seed_catalogue
    from shared.messaging.envelope import Event
    from shared.messaging.outbox import OutboxMessage

    with db.transaction() as session:
        seed_catalogue(session)
    with db.transaction() as session:
        return [Event.from_json(body) for body in session.scalars(select(OutboxMessage.body).order_by(OutboxMessage.id))]


def course_payload(**overrides) -> dict:
    """Return a valid new course as a coordinator would send it."""
    payload = {
        "code": "IMM-700", "institution": "LUMC", "ects": 5, "level": "master", "language": "en",
        "isced": "0912", "topics": ["Immunology", "allergy"], "coordinators": ["lumc-coordinator"],
        "title": {"en": "Advanced Immunology of Helminth Infections",
                  "ru": "Углублённая иммунология гельминтозов"},
        "description": {"en": "Type 2 immunity in depth.", "ru": "Иммунитет 2-го типа подробно."},
    }
    return {**payload, **overrides}


def offering_payload(**overrides) -> dict:
    """Return a valid new offering whose enrolment window is open now."""
    payload = {
        "term": "2027-spring", "starts_on": "2027-02-08", "ends_on": "2027-03-05",
        "enrolment_opens_at": "2026-01-01T08:00:00Z", "enrolment_closes_at": "2027-01-25T23:59:00Z",
        "capacity": 20, "waitlist": True, "location": "LUMC, Leiden",
    }
    return {**payload, **overrides}


def offering_snapshot(**overrides) -> dict:
    """Return catalogue.offering.* event data for an offering whose enrolment window is open now."""
    from datetime import datetime, timedelta, timezone

    now = datetime.now(timezone.utc)
    data = {
        "offering_id": str(uuid.uuid4()), "course_id": str(uuid.uuid4()), "course_code": "HEL-510",
        "course_title": {"en": "Helminth Infections and the Immune System", "ru": "Гельминтозы и иммунная система"},
        "course_status": "published", "course_version": 2, "institution": "LUMC",
        "coordinators": ["lumc-coordinator"], "term": "2027-spring", "starts_on": "2027-02-08",
        "ends_on": "2027-03-05", "location": "LUMC, Leiden", "capacity": 2, "waitlist": True,
        "enrolment_opens_at": (now - timedelta(days=1)).isoformat(),
        "enrolment_closes_at": (now + timedelta(days=30)).isoformat(),
        "status": "scheduled", "cancel_reason": None, "version": 1,
    }
    return {**data, **overrides}


def student(number: int, institution: str = "SSMU"):
    """Return a student principal with a Cyrillic name (SSMU) or a Dutch one (LUMC)."""
    from shared.http.auth import Principal

    name = f"Студент Номер {number}" if institution == "SSMU" else f"Student {number}"
    return Principal(f"{institution.lower()}-student-{number}", "student", institution,
                     f"student{number}@{'ssmu.ru' if institution == 'SSMU' else 'lumc.nl'}", name,
                     "ru" if institution == "SSMU" else "en")


# Where the notification emails of the tests link to.
FRONT_END_URL = "https://exchange.example.org"


# An enrolment event as the enrolment service writes it, for the students below.
OFFERING = {"id": "off-1", "course_id": "c-1", "course_code": "HEL-510",
            "course_title": {"en": "Helminth Infections and the Immune System", "ru": "Гельминтозы и иммунная система"},
            "institution": "LUMC", "term": "2027-spring", "starts_on": "2027-02-08", "ends_on": "2027-03-05",
            "location": "LUMC, Leiden", "cancel_reason": None}
ANNA = {"id": "ssmu-student", "email": "anna@ssmu.ru", "name": "Анна Смирнова", "locale": "ru", "institution": "SSMU"}
SANNE = {"id": "lumc-student", "email": "sanne@lumc.nl", "name": "Sanne de Vries", "locale": "en",
         "institution": "LUMC"}


def enrolment_event(event_type, student=ANNA, status="waitlisted", position=3, cancelled_by=None, at=None,
                    offering=OFFERING):
    return Event(type=event_type, producer="enrolment", occurred_at=at or datetime.now(timezone.utc), data={
        "enrolment": {"id": f"enr-{student['id']}", "status": status, "waitlist_position": position,
                      "cancelled_by": cancelled_by},
        "offering": offering, "student": student,
        "seats": {"capacity": 2, "confirmed": 2, "available": 0, "waitlisted": 3}})
