"""What the handlers look up about people, remembered for their transaction and read ahead for a batch.

An enrolment event needs the student's erasures, their row in the offering's audience (locked, so that
two consumers apply a student's events one after the other) and the preferences of the student and of
the course's coordinators: four reads an event, most of a consumer's time when each is a round trip.
`read_ahead` reads them for a whole batch, one query each, before its first handler; the lookups answer
from what the transaction read or wrote before, and read the database only for what it has not seen.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Collection

from sqlalchemy import func, select, tuple_
from sqlalchemy.orm import Session

from notifications.models import AudienceMember, Preference
from shared import privacy
from shared.privacy import ErasureRecord, subject_hash

MemberKey = tuple[str, str]  # (offering id, student id)


@dataclass
class LookedUp:
    """Rows this transaction has read or added, by key; None: there is none."""

    preferences: dict[str, Preference | None] = field(default_factory=dict)
    members: dict[MemberKey, AudienceMember | None] = field(default_factory=dict)
    erased_as_of: dict[str, datetime | None] = field(default_factory=dict)  # a person's latest erasure


def looked_up(session: Session) -> LookedUp:
    return session.info.setdefault("notifications.looked_up", LookedUp())


def read_ahead(session: Session, subjects: Collection[str], recipients: Collection[str],
               followers: Collection[MemberKey]) -> None:
    """Read in one query each the erasures of `subjects`, the preferences of `recipients` and, locked,
    the audience rows of `followers`."""
    seen = looked_up(session)
    if subjects := set(subjects) - seen.erased_as_of.keys():
        by_hash = {subject_hash(person): person for person in subjects}
        seen.erased_as_of.update(dict.fromkeys(subjects))
        seen.erased_as_of.update((by_hash[hashed], as_of) for hashed, as_of in session.execute(
            select(ErasureRecord.subject_hash, func.max(ErasureRecord.erased_as_of))
            .where(ErasureRecord.subject_hash.in_(by_hash)).group_by(ErasureRecord.subject_hash)))
    if recipients := set(recipients) - seen.preferences.keys():
        seen.preferences.update(dict.fromkeys(recipients))
        seen.preferences.update((preference.user_id, preference) for preference in session.scalars(
            select(Preference).where(Preference.user_id.in_(recipients))))
    if followers := set(followers) - seen.members.keys():
        seen.members.update(dict.fromkeys(followers))
        # Locked in key order: two consumers locking rows of one offering wait for each other, not deadlock.
        seen.members.update(((member.offering_id, member.student_id), member) for member in session.scalars(
            select(AudienceMember).where(tuple_(AudienceMember.offering_id, AudienceMember.student_id).in_(followers))
            .order_by(AudienceMember.offering_id, AudienceMember.student_id).with_for_update()))


def is_erased(session: Session, person_id: str, occurred_at: datetime) -> bool:
    """Tell whether what happened at `occurred_at` about the person was erased since (shared.privacy)."""
    seen = looked_up(session)
    if person_id not in seen.erased_as_of:
        with session.no_autoflush:  # what the batch added goes out together at the commit
            return privacy.is_erased(session, person_id, occurred_at)
    erased_as_of = seen.erased_as_of[person_id]
    return erased_as_of is not None and erased_as_of >= occurred_at


def preference_of(session: Session, person_id: str) -> Preference | None:
    seen = looked_up(session)
    if person_id not in seen.preferences:
        with session.no_autoflush:
            seen.preferences[person_id] = session.get(Preference, person_id)
    return seen.preferences[person_id]


def member_of(session: Session, offering_id: str, student_id: str) -> AudienceMember | None:
    """Return the student's row in the offering's audience, locked, or the one this transaction added."""
    seen = looked_up(session)
    if (offering_id, student_id) not in seen.members:
        with session.no_autoflush:
            seen.members[offering_id, student_id] = session.get(
                AudienceMember, (offering_id, student_id), with_for_update=True)
    return seen.members[offering_id, student_id]


def add_member(session: Session, offering_id: str, student_id: str) -> AudienceMember:
    member = AudienceMember(offering_id=offering_id, student_id=student_id)
    session.add(member)
    looked_up(session).members[offering_id, student_id] = member
    return member


def forget_person(session: Session, person_id: str, erased_as_of: datetime) -> None:
    """After the person's rows were deleted in this transaction: they have none, and an erasure."""
    seen = looked_up(session)
    seen.preferences[person_id] = None
    for key in [key for key in seen.members if key[1] == person_id]:
        seen.members[key] = None
    known = seen.erased_as_of.get(person_id)
    seen.erased_as_of[person_id] = erased_as_of if known is None else max(known, erased_as_of)
