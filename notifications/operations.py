"""Notification domain operations: plain functions that take a session and return results."""

from __future__ import annotations

from sqlalchemy.orm import Session

from notifications.models import Preference
from shared.auth import Principal
from shared.db import utcnow


def get_preferences(session: Session, person: Principal) -> Preference:
    """Return the person's stored preferences, or the defaults taken from their token."""
    stored = session.get(Preference, person.id)
    return stored or Preference(user_id=person.id, locale=person.locale, email=True, updated_at=None)


def set_preferences(session: Session, person: Principal, locale: str, email: bool) -> Preference:
    """Store the person's language and email choice."""
    preference = session.get(Preference, person.id, with_for_update=True)
    if preference is None:
        preference = Preference(user_id=person.id)
        session.add(preference)
    preference.locale = locale
    preference.email = email
    preference.updated_at = utcnow()
    return preference
