"""Catalogue rules as plain domain functions, without HTTP."""

from datetime import date

import marshmallow as ma
import pytest
from sqlalchemy import func, select

from catalogue import offerings, operations
from catalogue.models import Course, CourseRevision
from catalogue.schemas import CourseSchema, OfferingSchema
from shared import events
from shared.http.auth import Principal
from shared.http.errors import Problem
from shared.messaging.outbox import OutboxMessage
from tests.support.payloads import (LUMC_COORDINATOR, OTHER_LUMC_COORDINATOR, SSMU_COORDINATOR, SSMU_STUDENT,
                                    course_payload, offering_payload)



def create(session, actor=LUMC_COORDINATOR, **overrides):
    return operations.create_course(session, actor, CourseSchema().load(course_payload(**overrides)))


def outbox_types(session):
    return list(session.scalars(select(OutboxMessage.event_type).order_by(OutboxMessage.id)))


def test_a_coordinator_creates_a_draft_of_their_institution_with_history(catalogue_db):
    with catalogue_db.transaction() as session:
        course = create(session)
        assert (course.status, course.version) == ("draft", 1)
        assert course.topics == ["immunology", "allergy"]  # topics are normalised
        (revision,) = session.scalars(select(CourseRevision))
        assert revision.action == "created" and revision.changes["code"] == {"from": None, "to": "IMM-700"}
        assert outbox_types(session) == []  # drafts are nobody else's business yet


@pytest.mark.parametrize("actor", [SSMU_COORDINATOR, SSMU_STUDENT])
def test_nobody_creates_courses_for_another_institution(catalogue_db, actor):
    with catalogue_db.transaction() as session, pytest.raises(Problem) as refused:
        create(session, actor)
    assert refused.value.status == 403


def test_a_course_code_is_unique_per_institution(catalogue_db):
    with catalogue_db.transaction() as session:
        create(session)
        create(session, SSMU_COORDINATOR, institution="SSMU", coordinators=[])  # same code elsewhere: fine
        with pytest.raises(Problem) as refused:
            create(session)
    assert refused.value.code == "duplicate_course_code"


def test_an_edit_records_each_changed_field_from_what_to_what_and_tells_consumers(catalogue_db):
    with catalogue_db.transaction() as session:
        course = create(session)
        operations.update_course(session, LUMC_COORDINATOR, course.id, 1, {"ects": 6, "title": {"ru": None}})
        assert course.version == 2 and course.title == {"en": course_payload()["title"]["en"], "ru": None}
        latest = session.scalars(select(CourseRevision).order_by(CourseRevision.id.desc())).first()
        assert latest.changes["ects"] == {"from": 5.0, "to": 6.0}
        assert latest.changes["title"]["from"]["ru"] == course_payload()["title"]["ru"]
        assert outbox_types(session) == [events.COURSE_UPDATED]


def test_an_edit_based_on_a_stale_version_is_refused_and_changes_nothing(catalogue_db):
    with catalogue_db.transaction() as session:
        course = create(session)
        operations.update_course(session, LUMC_COORDINATOR, course.id, 1, {"ects": 6})
        with pytest.raises(Problem) as refused:
            operations.update_course(session, OTHER_LUMC_COORDINATOR, course.id, 1, {"ects": 7})
        assert refused.value.status == 412 and refused.value.code == "version_conflict"
        assert float(course.ects) == 6 and course.version == 2


def test_an_edit_that_changes_nothing_keeps_the_version(catalogue_db):
    with catalogue_db.transaction() as session:
        course = create(session)
        operations.update_course(session, LUMC_COORDINATOR, course.id, 1, {"ects": 5, "level": "master"})
        assert course.version == 1 and outbox_types(session) == []


def test_a_co_coordinator_of_the_other_institution_may_edit_others_may_not(catalogue_db):
    with catalogue_db.transaction() as session:
        course = create(session, coordinators=["lumc-coordinator", "ssmu-coordinator"])
        operations.update_course(session, SSMU_COORDINATOR, course.id, 1, {"ects": 4.5})
        stranger = Principal("ssmu-2", "coordinator", "SSMU", "x@ssmu.ru", "X", "ru")
        operations.set_course_status(session, LUMC_COORDINATOR, course.id, "published")
        with pytest.raises(Problem) as refused:
            operations.update_course(session, stranger, course.id, None, {"ects": 3})
    assert refused.value.status == 403


def test_publishing_and_archiving_tell_consumers_once(catalogue_db):
    with catalogue_db.transaction() as session:
        course = create(session)
        operations.set_course_status(session, LUMC_COORDINATOR, course.id, "published")
        operations.set_course_status(session, LUMC_COORDINATOR, course.id, "published")
        operations.set_course_status(session, LUMC_COORDINATOR, course.id, "archived")
        assert outbox_types(session) == [events.COURSE_PUBLISHED, events.COURSE_ARCHIVED]
        assert course.version == 3


def test_archiving_cancels_the_offerings_that_have_not_ended_with_the_reason_and_keeps_the_course_readable(
        catalogue_db):
    with catalogue_db.transaction() as session:
        course = create(session)
        operations.set_course_status(session, LUMC_COORDINATOR, course.id, "published")
        running = offerings.schedule_offering(session, LUMC_COORDINATOR, course.id,
                                              OfferingSchema().load(offering_payload()))
        ended = offerings.schedule_offering(session, LUMC_COORDINATOR, course.id,
                                            OfferingSchema().load(offering_payload(term="2027-autumn")))
        ended.starts_on, ended.ends_on = date(2020, 2, 3), date(2020, 3, 1)  # as if time had passed
        offerings.archive_course(session, LUMC_COORDINATOR, course.id, "The exchange ends.")
        assert (running.status, running.cancel_reason) == ("cancelled", "The exchange ends.")
        assert ended.status == "scheduled"  # history, not news
        assert outbox_types(session)[-2:] == [events.COURSE_ARCHIVED, events.OFFERING_CANCELLED]
        # Its students keep a page to read at the address they were given.
        assert operations.get_course(session, SSMU_STUDENT, course.id).status == "archived"
        assert offerings.get_offering(session, None, running.id).status == "cancelled"
        draft = create(session, code="IMM-701")
        offerings.archive_course(session, LUMC_COORDINATOR, draft.id, None)
        with pytest.raises(Problem) as hidden:
            operations.get_course(session, SSMU_STUDENT, draft.id)  # never published: stays private
        assert hidden.value.status == 404


@pytest.mark.parametrize("fields, field", [
    ({"enrolment_closes_at": "2027-03-06T00:00:00Z"}, "enrolment_closes_at"),  # the day after it ends
    ({"term": "2020-spring", "starts_on": "2020-02-03", "ends_on": "2020-03-01",
      "enrolment_opens_at": "2019-11-01T08:00:00Z", "enrolment_closes_at": "2020-01-20T23:59:00Z"}, "ends_on"),
])
def test_an_offering_in_the_past_or_whose_window_outlasts_it_is_refused(catalogue_db, fields, field):
    with catalogue_db.transaction() as session:
        course = create(session)
        with pytest.raises(ma.ValidationError) as refused:
            offerings.schedule_offering(session, LUMC_COORDINATOR, course.id,
                                        OfferingSchema().load(offering_payload(**fields)))
    assert list(refused.value.messages) == [field]


def test_a_course_may_have_parallel_offerings_in_one_term_and_an_ended_one_keeps_its_dates(catalogue_db):
    with catalogue_db.transaction() as session:
        course = create(session)
        leiden, tomsk = (offerings.schedule_offering(session, LUMC_COORDINATOR, course.id, OfferingSchema().load(
            offering_payload(location=place))) for place in ("LUMC, Leiden", "SSMU, Tomsk"))
        assert (leiden.term, tomsk.term) == ("2027-spring", "2027-spring")
        leiden.starts_on, leiden.ends_on = date(2020, 2, 3), date(2020, 3, 1)  # as if time had passed
        offerings.update_offering(session, LUMC_COORDINATOR, leiden.id, leiden.version, {"capacity": 5})
        assert leiden.capacity == 5  # an ended offering can still be corrected, just not moved into the past


def test_an_archived_course_cannot_be_scheduled(catalogue_db):
    with catalogue_db.transaction() as session:
        course = create(session)
        operations.set_course_status(session, LUMC_COORDINATOR, course.id, "archived")
        with pytest.raises(Problem) as refused:
            offerings.schedule_offering(session, LUMC_COORDINATOR, course.id,
                                        OfferingSchema().load(offering_payload()))
    assert refused.value.code == "course_archived"


def scheduled_offering(session):
    course = create(session)
    operations.set_course_status(session, LUMC_COORDINATOR, course.id, "published")
    return offerings.schedule_offering(session, LUMC_COORDINATOR, course.id,
                                       OfferingSchema().load(offering_payload()))


def test_an_offering_edit_is_checked_against_the_merged_offering(catalogue_db):
    with catalogue_db.transaction() as session:
        offering = scheduled_offering(session)
        closes_early = OfferingSchema(partial=True).load({"enrolment_closes_at": "2025-12-31T00:00:00Z"})
        with pytest.raises(ma.ValidationError) as refused:
            offerings.update_offering(session, LUMC_COORDINATOR, offering.id, 1, closes_early)
        assert "enrolment_closes_at" in refused.value.messages
        assert offering.version == 1


def test_an_offering_update_says_what_changed(catalogue_db):
    with catalogue_db.transaction() as session:
        offering = scheduled_offering(session)
        offerings.update_offering(session, LUMC_COORDINATOR, offering.id, 1,
                                  {"capacity": 25, "location": "Online"})
        body = session.scalars(select(OutboxMessage.body).order_by(OutboxMessage.id.desc())).first()
    assert '"changes":{"capacity":{"from":20,"to":25},"location":{"from":"LUMC, Leiden","to":"Online"}}' in body


def test_a_cancelled_offering_is_final_and_told_once(catalogue_db):
    with catalogue_db.transaction() as session:
        offering = scheduled_offering(session)
        offerings.cancel_offering(session, LUMC_COORDINATOR, offering.id, "Lecturer ill")
        offerings.cancel_offering(session, LUMC_COORDINATOR, offering.id, "again")
        with pytest.raises(Problem) as refused:
            offerings.update_offering(session, LUMC_COORDINATOR, offering.id, None, {"capacity": 3})
        assert outbox_types(session).count(events.OFFERING_CANCELLED) == 1
        assert offering.cancel_reason == "Lecturer ill"
    assert refused.value.code == "offering_cancelled"


def test_a_failed_operation_writes_nothing(catalogue_db):
    with pytest.raises(Problem):
        with catalogue_db.transaction() as session:
            course = create(session)
            operations.update_course(session, LUMC_COORDINATOR, course.id, 7, {"ects": 1})
    with catalogue_db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Course)) == 0
        assert session.scalar(select(func.count()).select_from(CourseRevision)) == 0


def test_an_enrolment_window_closing_on_the_last_day_of_year_9999_is_checked_without_overflow():
    """The window may close on the offering's last day, also when that day is the last one there is."""
    from datetime import date, datetime, timezone

    import marshmallow as ma

    from catalogue.offerings import check_schedule

    last_day = date(9999, 12, 31)
    check_schedule({"enrolment_closes_at": datetime(9999, 12, 31, 23, 59, tzinfo=timezone.utc),
                    "ends_on": last_day}, date(2026, 11, 30))
    with pytest.raises(ma.ValidationError, match="before the offering ends"):
        check_schedule({"enrolment_closes_at": datetime(2027, 3, 6, 0, 0, tzinfo=timezone.utc),
                        "ends_on": date(2027, 3, 5)}, date(2026, 11, 30))
