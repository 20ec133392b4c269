"""What enrolment holds of a person, handed over (export) or forgotten (erasure) on request.

Enrolment accepts erasure requests: it erases its own data and records the request's event in one
transaction, and the event carries the request to the other services (docs/privacy.md).
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from enrolment.models import ACTIVE, Application, Enrolment, IdempotentRequest
from enrolment.operations import PRODUCER, cancel_enrolment
from enrolment.schemas import ApplicationSchema, EnrolmentSchema
from enrolment.waiting_list import with_positions
from shared import events
from shared.db import utcnow
from shared.events.enrolment import ErasureRequested
from shared.http.auth import Principal
from shared.messaging.outbox import record_event
from shared.privacy import ErasureRecord, forget_outbox_events, pseudonym, record_erasure


def erase_student(session: Session, subject_id: str, requested_by: str) -> ErasureRecord:
    """Forget a student here and ask the other services to: a seat or place in line they held is
    given up (the next in line promoted), their enrolments keep a random pseudonym for the courses'
    statistics and nothing else of them, and their stored answers and events are deleted."""
    # Given up as the student themself would, so the seats and the waiting list move as they always do.
    as_student = Principal(id=subject_id, role="student", institution="", email="", name="", locale="en")
    active = session.scalars(select(Enrolment.id).where(Enrolment.student_id == subject_id,
                                                        Enrolment.status.in_(ACTIVE))
                             .order_by(Enrolment.offering_id)).all()  # one lock order for every eraser
    for enrolment_id in active:
        cancel_enrolment(session, as_student, enrolment_id)
    stand_in = pseudonym()
    for enrolment in session.scalars(select(Enrolment).where(Enrolment.student_id == subject_id)):
        enrolment.student_id, enrolment.student_name, enrolment.student_email = stand_in, "", ""
        enrolment.student_locale = ""
    forget_applications(session, subject_id, stand_in)
    session.execute(delete(IdempotentRequest).where(IdempotentRequest.student_id == subject_id))
    session.flush()
    forget_outbox_events(session, subject_id)  # the cancellations above too: nobody is told about them
    erasure_id = str(uuid.uuid4())
    event = record_event(session, PRODUCER, events.ERASURE_REQUESTED, ErasureRequested(
        erasure_id=erasure_id, subject_id=subject_id, requested_by=requested_by).to_data())
    record_erasure(session, erasure_id, subject_id, requested_by, event.occurred_at)
    return session.get(ErasureRecord, erasure_id)


def forget_applications(session: Session, subject_id: str, stand_in: str) -> None:
    """A pending application is withdrawn (nobody is told); every application keeps the pseudonym, its
    institution, role, status and times, and nothing the person wrote or was written about them."""
    for application in session.scalars(select(Application).where(Application.applicant_id == subject_id)):
        if application.status == "pending":
            application.status, application.decided_at = "withdrawn", utcnow()
        application.applicant_id, application.applicant_name, application.applicant_email = stand_in, "", ""
        application.applicant_locale, application.motivation, application.message = "", "", None
        application.proposed_starts_on = application.proposed_ends_on = None


def personal_data(session: Session, person_id: str) -> dict[str, Any]:
    """Everything enrolment holds about a person: their enrolments, applications and the requests it remembers."""
    enrolments = session.scalars(select(Enrolment).where(Enrolment.student_id == person_id)
                                 .order_by(Enrolment.created_at, Enrolment.id)).all()
    requests = session.scalars(select(IdempotentRequest).where(IdempotentRequest.student_id == person_id)
                               .order_by(IdempotentRequest.created_at)).all()
    applications = session.scalars(select(Application).where(Application.applicant_id == person_id)
                                   .order_by(Application.created_at, Application.id)).all()
    return {
        "enrolments": [{**EnrolmentSchema().dump(enrolment), "student": enrolment.student}
                       for enrolment in with_positions(session, enrolments)],
        "applications": ApplicationSchema(many=True).dump(applications),
        "remembered_requests": [{"idempotency_key": request.key, "created_at": request.created_at.isoformat(),
                                 "status_code": request.status_code, "response": request.response}
                                for request in requests],
    }
