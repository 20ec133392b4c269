"""Searching the catalogue: both languages, any case (Cyrillic too), filters, a stable order.

Runs on SQLite and on PostgreSQL, where the trigram index serves the same queries.
"""

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select, update

from catalogue import operations
from catalogue.models import Course, Offering
from catalogue.schemas import CourseSchema
from catalogue.search import search_courses
from catalogue.seed import seed_catalogue
from shared.db import Database
from shared.migrations import upgrade
from tests.support.payloads import LUMC_COORDINATOR, SSMU_COORDINATOR, course_payload


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def catalogue(request, tmp_path):
    url = (f"sqlite:///{tmp_path / 'catalogue.db'}" if request.param == "sqlite"
           else request.getfixturevalue("postgres_database_factory")("search"))
    upgrade("catalogue", url)
    db = Database(url)
    with db.transaction() as session:
        seed_catalogue(session)
        operations.create_course(session, LUMC_COORDINATOR, CourseSchema().load(course_payload(
            code="DRAFT-1", title={"en": "Hedgehog parasites", "ru": "Паразиты ежей и всё о них"})))
    yield db
    db.dispose()


def codes(db, actor=None, **filters):
    with db.transaction() as session:
        return [course.code for course in session.scalars(search_courses(actor, filters))]


@pytest.mark.parametrize("query", ["ГЛИКОМ", "гликомика", "GLYCOMICS", "glycomics", "Glycomics"])
def test_text_search_finds_a_course_in_either_language_in_any_case(catalogue, query):
    assert "GLY-501" in codes(catalogue, q=query)


def test_every_word_of_a_query_must_match(catalogue):
    assert codes(catalogue, q="гельминтозы иммунная") == ["HEL-510"]
    assert codes(catalogue, q="helminth glycomics") == []


def test_yo_and_ye_are_the_same_letter_for_searchers(catalogue):
    assert codes(catalogue, LUMC_COORDINATOR, q="все о них") == ["DRAFT-1"]
    assert codes(catalogue, LUMC_COORDINATOR, q="ВСЁ") == ["DRAFT-1"]


def test_search_matches_codes_and_descriptions(catalogue):
    assert codes(catalogue, q="opi-410") == ["OPI-410"]
    assert codes(catalogue, q="БАССЕЙНЕ") == ["OPI-410"]


def test_like_wildcards_in_a_query_are_plain_characters(catalogue):
    assert codes(catalogue, q="%") == []
    assert codes(catalogue, q="_") == []


def test_filters_narrow_the_list(catalogue):
    assert codes(catalogue, institution="SSMU", level="phd") == ["IMM-610"]
    assert codes(catalogue, topic="Helminths") == ["CHI-530", "HEL-510", "OPI-410"]
    assert codes(catalogue, language="RU") == ["ALG-401", "OPI-410"]
    assert len(codes(catalogue, term=_seeded_term(catalogue))) == 8
    assert codes(catalogue, term="1999-spring") == []


def _seeded_term(db):
    with db.transaction() as session:
        return session.scalars(select(Offering.term)).first()


def test_drafts_are_found_only_by_those_who_may_edit_them(catalogue):
    assert "DRAFT-1" not in codes(catalogue, q="hedgehog")
    assert "DRAFT-1" not in codes(catalogue, SSMU_COORDINATOR, q="hedgehog")
    assert codes(catalogue, LUMC_COORDINATOR, status="draft") == ["DRAFT-1"]
    assert codes(catalogue, status="draft") == []


def test_the_default_order_is_institution_then_code(catalogue):
    found = codes(catalogue)
    with catalogue.transaction() as session:
        expected = [c.code for c in sorted(session.query(Course).filter_by(status="published"),
                                           key=lambda c: (c.institution, c.code))]
    assert found == expected


def test_modified_since_is_a_change_feed_oldest_change_first(catalogue):
    now = datetime.now(timezone.utc)
    with catalogue.transaction() as session:
        session.execute(update(Course).values(updated_at=now - timedelta(days=30)))
        session.execute(update(Course).where(Course.code == "OPI-410").values(updated_at=now - timedelta(minutes=5)))
        session.execute(update(Course).where(Course.code == "ALG-401").values(updated_at=now - timedelta(minutes=9)))
    assert codes(catalogue, modified_since=now - timedelta(hours=1)) == ["ALG-401", "OPI-410"]
