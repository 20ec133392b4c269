"""What the notification service holds of a person, handed over (export) or forgotten (erasure)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, and_, delete, exists, select
from sqlalchemy.orm import Session

from notifications.lookups import forget_person
from notifications.models import AudienceMember, EmailDelivery, ErasedMail, Notification, Preference
from shared.events.enrolment import ErasureRequested
from shared.messaging.envelope import Event
from shared.privacy import forget_outbox_events, record_erasure


def on_erasure_requested(session: Session, event: Event) -> None:
    """Forget the person: inbox, emails (queued, failed or sent), preferences, the offerings they
    followed, and what their courses' coordinators were told of their enrolments (it names them). Their
    mail files are removed by the mailer, which is told which (ErasedMail)."""
    request: ErasureRequested = event.payload
    if not record_erasure(session, request.erasure_id, request.subject_id, request.requested_by, event.occurred_at):
        return
    person = request.subject_id
    session.execute(delete(Notification).where(_coordinators_told_of(person)))
    notification_ids = select(Notification.id).where(Notification.user_id == person)
    mailed = session.scalars(select(EmailDelivery.notification_id)
                             .where(EmailDelivery.notification_id.in_(notification_ids))).all()
    session.add_all(ErasedMail(notification_id=notification_id, erasure_id=request.erasure_id)
                    for notification_id in mailed)
    session.execute(delete(EmailDelivery).where(EmailDelivery.notification_id.in_(notification_ids)))
    session.execute(delete(Notification).where(Notification.user_id == person))
    session.execute(delete(Preference).where(Preference.user_id == person))
    session.execute(delete(AudienceMember).where(AudienceMember.student_id == person))
    forget_person(session, person, event.occurred_at)
    forget_outbox_events(session, person)


def mail_outstanding(session: Session, erasure_id: str) -> bool:
    """Tell whether mail files of an erasure still wait for the mailer to remove them."""
    return bool(session.scalar(select(exists().where(ErasedMail.erasure_id == erasure_id))))


def _coordinators_told_of(person: str) -> ColumnElement[bool]:
    """The notices their courses' coordinators got of the person's enrolments: they name the person. The
    enrolments are found by the person's own messages of them (a coordinator's notices carry the student's
    enrolment, and are not the coordinator's enrolments)."""
    their_enrolments = select(Notification.enrolment_id).where(Notification.user_id == person,
                                                                Notification.kind != "roster_changed",
                                                                Notification.enrolment_id.isnot(None))
    return and_(Notification.kind == "roster_changed", Notification.enrolment_id.in_(their_enrolments))


def personal_data(session: Session, person_id: str) -> dict[str, Any]:
    """Everything the notification service holds about a person: their own messages, and what their courses'
    coordinators were told of their enrolments (each notice, and to whom it went)."""
    preference = session.get(Preference, person_id)
    notifications = session.scalars(select(Notification).where(Notification.user_id == person_id)
                                    .order_by(Notification.created_at, Notification.id)).unique().all()
    followed = session.scalars(select(AudienceMember).where(AudienceMember.student_id == person_id)
                               .order_by(AudienceMember.offering_id)).all()
    told = session.scalars(select(Notification).where(_coordinators_told_of(person_id))
                           .order_by(Notification.created_at, Notification.id)).unique().all()
    return {
        "preferences": preference and {"locale": preference.locale, "email": preference.email,
                                       "timezone": preference.timezone,
                                       "updated_at": preference.updated_at.isoformat()},
        "notifications": [_notification(notification) for notification in notifications],
        "offerings_followed": [{"offering_id": member.offering_id, "email": member.email, "name": member.name,
                                "locale": member.locale, "institution": member.institution,
                                "active": member.active, "waiting": member.waiting,
                                "as_of": member.as_of.isoformat()} for member in followed],
        "coordinators_told": [{"id": notice.id, "to_user_id": notice.user_id, "kind": notice.kind,
                               "subject": notice.subject, "body": notice.body,
                               "created_at": notice.created_at.isoformat()} for notice in told],
    }


def _notification(notification: Notification) -> dict[str, Any]:
    email = notification.email
    return {"id": notification.id, "kind": notification.kind, "locale": notification.locale,
            "subject": notification.subject, "body": notification.body,
            "created_at": notification.created_at.isoformat(),
            "read_at": notification.read_at and notification.read_at.isoformat(),
            "email": email and {"to_address": email.to_address, "to_name": email.to_name, "html": email.html,
                                "status": email.shown_status, "attempts": email.attempts,
                                "sent_at": email.sent_at and email.sent_at.isoformat()}}
