"""Offerings to enrol in, made the way production makes them: scheduled in a catalogue database by
the catalogue's domain functions, and their events handed to enrolment's consumer handler
(`shared.messaging.consumer.handle_event`, what the enrolment consumer runs for each message) as the relay
and the broker would deliver them."""

from __future__ import annotations

import itertools
from datetime import datetime, timezone

from bench.environment import Workspace
from catalogue import offerings, operations
from catalogue.schemas import CourseSchema, ReservedSeatsSchema
from catalogue.seed import COURSES, SEED_ADMIN, offering_fields
from enrolment.handlers import HANDLERS
from shared.db import Database, utcnow
from shared.messaging.consumer import handle_event
from shared.messaging.envelope import Event
from shared.messaging.outbox import claim_pending
from shared.migrations import upgrade

COURSE_TEMPLATE = next(course for course in COURSES if course["code"] == "HEL-510")


class OfferingDesk:
    """Opens offerings (published course, open window) in the catalogue and in enrolment's replica."""

    def __init__(self, catalogue: Database, enrolment: Database):
        self.catalogue = catalogue
        self.enrolment = enrolment
        self._numbers = itertools.count(1)
        self.course_of: dict[str, str] = {}  # each opened offering's course

    @classmethod
    def on_fresh_databases(cls, workspace: Workspace, prefix: str) -> OfferingDesk:
        """A desk on a catalogue and an enrolment database of the run's own (`<prefix>_catalogue`, ...)."""
        databases = []
        for service in ("catalogue", "enrolment"):
            url = workspace.database(f"{prefix}_{service}")
            upgrade(service, url)
            databases.append(Database(url))
        return cls(*databases)

    def dispose(self) -> None:
        self.catalogue.dispose()
        self.enrolment.dispose()

    def open_offering(self, capacity: int, reserved: list[dict] | None = None) -> str:
        """Schedule an offering of `capacity` seats with a waiting list (and the `reserved` pools, as the
        catalogue's API takes them); return its id once enrolment has it."""
        today = datetime.now(timezone.utc).date()
        with self.catalogue.transaction() as session:
            fields = CourseSchema().load({**COURSE_TEMPLATE, "code": f"BEN-{next(self._numbers)}"})
            course = operations.create_course(session, SEED_ADMIN, fields)
            operations.set_course_status(session, SEED_ADMIN, course.id, "published")
            scheduled = offering_fields(course.institution, today, capacity)
            if reserved:
                scheduled["reserved"] = ReservedSeatsSchema(many=True).load(reserved)
            offering = offerings.schedule_offering(session, SEED_ADMIN, course.id, scheduled)
        self._deliver_catalogue_events()
        self.course_of[offering.id] = course.id
        return offering.id

    def _deliver_catalogue_events(self) -> None:
        with self.catalogue.transaction() as session:
            for row in claim_pending(session, limit=100):
                handle_event(self.enrolment, HANDLERS, Event.from_json(row.body))
                row.published_at = utcnow()
