"""Concurrent edits on PostgreSQL: the version check and the write are one atomic decision."""

import threading

import pytest
from sqlalchemy import select

from catalogue import operations
from catalogue.models import CourseRevision
from catalogue.schemas import CourseSchema
from shared.db import Database
from shared.http.errors import Problem
from shared.migrations import upgrade
from tests.support.payloads import LUMC_COORDINATOR, OTHER_LUMC_COORDINATOR, course_payload

pytestmark = pytest.mark.postgres


def test_of_two_simultaneous_edits_of_one_version_exactly_one_wins(postgres_url):
    upgrade("catalogue", postgres_url)
    db = Database(postgres_url)
    with db.transaction() as session:
        course_id = operations.create_course(session, LUMC_COORDINATOR, CourseSchema().load(course_payload())).id

    start = threading.Barrier(8)
    outcomes: list[str] = []

    def edit(number: int) -> None:  # every edit changes the course (it has 5 ECTS), so each would bump its version
        actor = LUMC_COORDINATOR if number % 2 else OTHER_LUMC_COORDINATOR
        start.wait()
        try:
            with db.transaction() as session:
                operations.update_course(session, actor, course_id, 1, {"ects": 10 + number})
            outcomes.append("won")
        except Problem as problem:
            outcomes.append(problem.code)

    threads = [threading.Thread(target=edit, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(outcomes) == ["version_conflict"] * 7 + ["won"]
    with db.transaction() as session:
        actions = list(session.scalars(select(CourseRevision.action).where(CourseRevision.course_id == course_id)))
    assert sorted(actions) == ["created", "updated"]
    db.dispose()
