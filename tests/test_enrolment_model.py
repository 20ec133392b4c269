"""A stateful property test: enrol, apply, approve, decline, withdraw, cancel, change capacity and the
admission rule, and replay events in any order, and the database always agrees with a simple model of the
rules (invariants 1 to 3, and 9 for applications, of DESIGN section 6)."""

import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (RuleBasedStateMachine, initialize, invariant, precondition, rule,
                                 run_state_machine_as_test)
from sqlalchemy import select

from enrolment.applications import approve_application, decline_application, submit_application, withdraw_application
from enrolment.handlers import HANDLERS
from enrolment.models import ACTIVE, Application, Enrolment
from enrolment.operations import cancel_enrolment, enrol_student, get_offering
from enrolment.replica import apply_offering_snapshot
from shared import events
from shared.db import Database
from shared.events.catalogue import OfferingSnapshot
from shared.http.errors import Problem
from shared.messaging.consumer import Outcome, handle_event
from shared.messaging.envelope import Event
from shared.migrations import upgrade
from tests.support.payloads import LUMC_COORDINATOR, offering_snapshot, student

STUDENTS = st.integers(min_value=0, max_value=6)


@pytest.fixture(scope="module")
def template_database():
    folder = Path(tempfile.mkdtemp())
    upgrade("enrolment", f"sqlite:///{folder / 'template.db'}")
    yield folder / "template.db"
    shutil.rmtree(folder)


class EnrolmentRules(RuleBasedStateMachine):
    template: Path

    def __init__(self):
        super().__init__()
        self.folder = Path(tempfile.mkdtemp())
        shutil.copy(self.template, self.folder / "enrolment.db")
        self.db = Database(f"sqlite:///{self.folder / 'enrolment.db'}")
        self.snapshot = offering_snapshot(capacity=2, waitlist=True)
        with self.db.transaction() as session:
            apply_offering_snapshot(session, OfferingSnapshot.model_validate(self.snapshot))
        self.offering_id = self.snapshot["offering_id"]
        self.capacity, self.version, self.admission = 2, 1, "first_come"
        self.confirmed: list[int] = []
        self.line: list[int] = []
        self.enrolment_ids: dict[int, str] = {}
        self.pending: dict[int, str] = {}  # who awaits a decision, and their application's id
        self.delivered: list[Event] = []

    def teardown(self):
        self.db.dispose()
        shutil.rmtree(self.folder)

    def promote(self):
        while len(self.confirmed) < self.capacity and self.line:
            self.confirmed.append(self.line.pop(0))

    @initialize(admission=st.sampled_from(["first_come", "application"]))
    def open_the_offering(self, admission):
        """Half the runs start with an offering that takes applications (it may change later)."""
        self.change_admission(admission)

    @rule(number=STUDENTS)
    def enrol(self, number):
        try:
            with self.db.transaction() as session:
                enrolment = enrol_student(session, student(number), self.offering_id)
                self.enrolment_ids[number] = enrolment.id
            outcome = enrolment.status
        except Problem as problem:
            outcome = problem.code
        if self.admission == "application":
            expected = "application_required"
        elif number in self.confirmed or number in self.line:
            expected = "already_enrolled"
        elif not self.line and len(self.confirmed) < self.capacity:
            expected = "confirmed"
            self.confirmed.append(number)
        else:
            expected = "waitlisted"
            self.line.append(number)
        assert outcome == expected

    @precondition(lambda self: self.confirmed or self.line)
    @rule(data=st.data())
    def cancel(self, data):
        number = data.draw(st.sampled_from(self.confirmed + self.line))
        with self.db.transaction() as session:
            cancel_enrolment(session, student(number), self.enrolment_ids[number])
        if number in self.confirmed:
            self.confirmed.remove(number)
        else:
            self.line.remove(number)
        self.promote()

    @rule(number=STUDENTS)
    def apply(self, number):
        if self.admission != "application":
            expected = "not_by_application"
        elif number in self.confirmed or number in self.line:
            expected = "already_enrolled"
        elif number in self.pending:
            expected = "already_applied"
        else:
            expected = "pending"
        try:
            with self.db.transaction() as session:
                application_id = submit_application(session, student(number), self.offering_id, "Why").id
            outcome, self.pending[number] = "pending", application_id
        except Problem as problem:
            outcome = problem.code
        assert outcome == expected

    @precondition(lambda self: self.pending)
    @rule(data=st.data(), decision=st.sampled_from(["approve", "decline", "withdraw"]))
    def decide(self, data, decision):
        number = data.draw(st.sampled_from(sorted(self.pending)))
        try:
            with self.db.transaction() as session:
                if decision == "withdraw":
                    withdraw_application(session, student(number), self.pending[number])
                elif decision == "decline":
                    decline_application(session, LUMC_COORDINATOR, self.pending[number], "No")
                else:
                    application = approve_application(session, LUMC_COORDINATOR, self.pending[number], "Yes")
                    self.enrolment_ids[number] = application.enrolment_id
            outcome = "done"
        except Problem as problem:
            outcome = problem.code
        if decision == "approve" and len(self.confirmed) >= self.capacity:
            expected = "offering_full"  # never more approved than seats
        elif decision == "approve" and (number in self.confirmed or number in self.line):
            expected = "already_enrolled"
        else:
            expected = "done"
            del self.pending[number]
            if decision == "approve":
                self.confirmed.append(number)
        assert outcome == expected

    @rule(capacity=st.integers(min_value=0, max_value=5))
    def change_capacity(self, capacity):
        self.capacity = capacity
        self.deliver_offering_update()
        self.promote()

    @rule(admission=st.sampled_from(["first_come", "application"]))
    def change_admission(self, admission):
        self.admission = admission
        self.deliver_offering_update()

    def deliver_offering_update(self):
        self.version += 1
        event = Event(type=events.OFFERING_UPDATED, producer="catalogue",
                      data={**self.snapshot, "capacity": self.capacity, "admission": self.admission,
                            "version": self.version})
        assert handle_event(self.db, HANDLERS, event) is Outcome.HANDLED
        self.delivered.append(event)

    @precondition(lambda self: self.delivered)
    @rule(data=st.data())
    def replay_an_earlier_event(self, data):
        event = data.draw(st.sampled_from(self.delivered))
        assert handle_event(self.db, HANDLERS, event) is Outcome.DUPLICATE

    @precondition(lambda self: self.version > 1)
    @rule()
    def deliver_a_stale_snapshot_under_a_new_id(self):
        stale = Event(type=events.OFFERING_UPDATED, producer="catalogue",
                      data={**self.snapshot, "capacity": 5, "version": self.version - 1})
        handle_event(self.db, HANDLERS, stale)  # handled, but older than what the replica has: no effect

    @invariant()
    def the_database_agrees_with_the_model(self):
        with self.db.transaction() as session:
            active = list(session.scalars(select(Enrolment).where(
                Enrolment.offering_id == self.offering_id, Enrolment.status.in_(ACTIVE))))
            offering = get_offering(session, self.offering_id)
            seated = {int(e.student_id.rsplit("-", 1)[1]) for e in active if e.status == "confirmed"}
            line = [int(e.student_id.rsplit("-", 1)[1])
                    for e in sorted((e for e in active if e.status == "waitlisted"), key=lambda e: e.waitlist_ticket)]
            students = [e.student_id for e in active]
            assert seated == set(self.confirmed)  # invariant 1 via the model: nobody seated beyond capacity
            assert line == self.line  # invariant 3: first come, first served
            assert len(students) == len(set(students))  # invariant 2
            assert (offering.confirmed_count, offering.waitlisted_count) == (len(seated), len(line))
            assert offering.capacity == self.capacity
            pending = session.scalars(select(Application.applicant_id).where(Application.status == "pending"))
            assert sorted(int(a.rsplit("-", 1)[1]) for a in pending) == sorted(self.pending)


@pytest.mark.filterwarnings("ignore::hypothesis.errors.NonInteractiveExampleWarning")
def test_enrolment_rules_hold_in_any_order(template_database):
    EnrolmentRules.template = template_database
    run_state_machine_as_test(EnrolmentRules, settings=settings(max_examples=40, stateful_step_count=25,
                                                                deadline=None))
