"""Notification domain operations: plain functions that take a session and return results."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable, Mapping

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from notifications.lookups import add_member, member_of, preference_of
from notifications.messages import FrontEnd, render
from notifications.models import AudienceMember, EmailDelivery, Notification, Preference
from shared.db import utcnow
from shared.http.auth import Principal
from shared.http.errors import Problem
from shared.messaging.envelope import Event
from shared.timezones import zone_of_institution


@dataclass(frozen=True)
class Preferences:
    """A person's preferences as they apply: what they chose, else the defaults (their token, institution)."""

    locale: str
    email: bool
    timezone: str
    updated_at: datetime | None


def get_preferences(session: Session, person: Principal) -> Preferences:
    """Return the person's stored preferences, completed with the defaults taken from their token."""
    stored = session.get(Preference, person.id)
    if stored is None:
        return Preferences(person.locale, True, zone_of_institution(person.institution), None)
    return Preferences(stored.locale, stored.email, stored.timezone or zone_of_institution(person.institution),
                       stored.updated_at)


def set_preferences(session: Session, person: Principal, locale: str, email: bool,
                    timezone: str | None = None) -> Preferences:
    """Store the person's language and email choice, and their time zone if given (else it stays)."""
    preference = session.get(Preference, person.id, with_for_update=True)
    if preference is None:
        preference = Preference(user_id=person.id)
        session.add(preference)
    preference.locale = locale
    preference.email = email
    if timezone is not None:
        preference.timezone = timezone
    preference.updated_at = utcnow()
    return get_preferences(session, person)


def notify(session: Session, event: Event, recipient: Mapping[str, str | None], kind: str,
           context_in: Callable[[str, str], Mapping[str, Any]], front_end: FrontEnd,
           **links: str | None) -> Notification:
    """Put a message in the recipient's inbox, in their language, and queue its email if they want it.

    The language is the recipient's stored preference, else the locale the event carries; the time
    zone their stored one, else their institution's. `context_in(locale, zone)` gives what the
    message says, in that language, with times in that zone; every message links to the recipient's
    preferences in the front end. A recipient known only by id (a course's coordinator: events name
    coordinators by user id) gets the message in the inbox alone.
    """
    preference = preference_of(session, recipient["id"])
    locale = preference.locale if preference else recipient.get("locale") or "en"
    zone = (preference and preference.timezone) or zone_of_institution(recipient.get("institution"))
    by_email = bool(recipient.get("email")) and (preference is None or preference.email)
    message = render(kind, locale, {"name": recipient["name"], "preferences_url": front_end.preferences_page,
                                    **context_in(locale, zone)}, html=by_email)
    notification = Notification(user_id=recipient["id"], event_id=event.id, kind=kind, locale=locale,
                                subject=message.subject, body=message.text, **links)
    session.add(notification)
    if by_email:
        session.add(EmailDelivery(notification=notification, to_address=recipient["email"],
                                  to_name=recipient["name"], html=message.html, next_attempt_at=utcnow()))
    return notification


def follow_enrolment(session: Session, offering_id: str, student: Mapping[str, str], status: str,
                     as_of: datetime) -> bool:
    """Remember whether a student holds or waits for a seat; return whether they were waiting before."""
    member = member_of(session, offering_id, student["id"])
    was_waiting = bool(member and member.waiting)
    if member is None:
        member = add_member(session, offering_id, student["id"])
    elif member.as_of > as_of:
        return was_waiting  # a newer enrolment event was applied already
    member.email, member.name, member.locale = student["email"], student["name"], student["locale"]
    member.institution = student.get("institution")
    member.active, member.waiting = status not in ("cancelled", "expired"), status == "waitlisted"
    member.as_of = as_of
    return was_waiting


def audience(session: Session, offering_id: str) -> list[AudienceMember]:
    """Return the students holding or waiting for a seat in an offering."""
    return list(session.scalars(select(AudienceMember).where(
        AudienceMember.offering_id == offering_id, AudienceMember.active.is_(True))
        .order_by(AudienceMember.student_id)))


def inbox_of(person: Principal) -> Select:
    """Return the query of a person's notifications, newest first."""
    return (select(Notification).where(Notification.user_id == person.id)
            .order_by(Notification.created_at.desc(), Notification.id))


def unread_count(session: Session, person: Principal) -> int:
    return session.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == person.id, Notification.read_at.is_(None))) or 0


def mark_read(session: Session, person: Principal, notification_id: str) -> Notification:
    """Mark one of your notifications read (again: no change); anyone else's is 404."""
    notification = session.get(Notification, notification_id)
    if notification is None or notification.user_id != person.id:
        raise Problem(404, "notification_not_found", f"There is no notification {notification_id}.")
    if notification.read_at is None:
        notification.read_at = utcnow()
    return notification
