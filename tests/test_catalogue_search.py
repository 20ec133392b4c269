"""Searching the catalogue: word forms in both languages, a typo, any case (Cyrillic too), filters,
relevance and a stable order.

Runs on SQLite and on PostgreSQL, where the trigram index serves the same queries.
"""

import json
from contextlib import ExitStack
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select, text, update

from catalogue import operations
from catalogue.models import Course, Offering
from catalogue.schemas import CourseSchema
from catalogue.search import search_courses
from catalogue.seed import SEED_ADMIN, seed_catalogue
from shared.db import Database
from shared.http.pagination import paginate_ranked
from shared.migrations import upgrade
from tests.support.environment import throwaway_postgres_databases
from tests.support.payloads import LUMC_COORDINATOR, SSMU_COORDINATOR, course_payload


def seeded_catalogue(url: str) -> Database:
    upgrade("catalogue", url)
    db = Database(url)
    with db.transaction() as session:
        seed_catalogue(session)
        operations.create_course(session, LUMC_COORDINATOR, CourseSchema().load(course_payload(
            code="DRAFT-1", title={"en": "Hedgehog parasites", "ru": "Паразиты ежей и всё о них"})))
    return db


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def catalogue(request, tmp_path_factory):
    """The seeded catalogue, shared by the tests that only search it: seeding one for each cost a minute."""
    with ExitStack() as stack:
        if request.param == "sqlite":
            url = f"sqlite:///{tmp_path_factory.mktemp('search') / 'catalogue.db'}"
        else:
            url = stack.enter_context(throwaway_postgres_databases(request.getfixturevalue("postgres_admin")))("search")
        db = seeded_catalogue(url)
        yield db
        db.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def changing_catalogue(request, tmp_path):
    """A seeded catalogue of the test's own, for the tests that change it."""
    url = (f"sqlite:///{tmp_path / 'catalogue.db'}" if request.param == "sqlite"
           else request.getfixturevalue("postgres_database_factory")("search"))
    db = seeded_catalogue(url)
    yield db
    db.dispose()


def codes(db, actor=None, **filters):
    with db.transaction() as session:
        return [course.code for course in session.scalars(search_courses(session, actor, filters))]


@pytest.mark.parametrize("query", ["ГЛИКОМ", "гликомика", "GLYCOMICS", "glycomics", "Glycomics"])
def test_text_search_finds_a_course_in_either_language_in_any_case(catalogue, query):
    assert "GLY-501" in codes(catalogue, q=query)


# What students type, in either language, and exactly the seeded courses it must find.
STUDENT_QUERIES = [
    ("гельминты", {"HEL-510"}),                      # the title says "Гельминтозы"
    ("аллергические", {"ALG-401"}),                  # "аллергических заболеваний"
    ("Описторхоза", {"OPI-410"}),                    # "Описторхоз"
    ("иммунология аллергии", {"ALG-401"}),           # "Иммунология аллергических заболеваний"
    ("гликаны", {"GLY-501", "GLB-320", "IMM-610"}),  # "гликанов", "гликанами"
    ("астма", {"IMM-610", "ALG-401"}),               # "бронхиальной астмы", "астма"
    ("масс-спектрометрия белков", {"GLY-501"}),
    ("helminth infections", {"HEL-510", "CHI-530"}),  # "Helminth Infections", "infections with hookworm"
    ("allergic", {"ALG-401", "IMM-610", "HEL-510"}),  # "Allergic", the topic "allergy", "allergies"
    ("metabolomic", {"MET-620", "GLY-501"}),          # "Metabolomics"
    ("helminths", {"HEL-510", "CHI-530", "OPI-410"}),  # the topic "helminths"
    ("mass spectrometry", {"GLY-501"}),
    ("imunology", {"HEL-510", "ALG-401", "CHI-530"}),  # one letter missing: found as "immunology"
    ("alergic", {"ALG-401", "IMM-610", "HEL-510"}),
    ("astma", {"IMM-610", "ALG-401"}),                 # one letter missing, in a word not in any title
    ("гельминтозв", {"HEL-510"}),                     # a wrong key at the end
    ("cardiology", set()),
]


@pytest.mark.parametrize("query, expected", STUDENT_QUERIES)
def test_a_student_finds_courses_by_any_form_of_a_word_in_either_language(catalogue, query, expected):
    assert set(codes(catalogue, q=query)) == expected


def test_neither_a_typo_in_a_short_word_nor_two_typos_are_guessed_at(catalogue):
    assert codes(catalogue, q="asthm") != []
    assert codes(catalogue, q="astm") == []  # four letters: too short to guess which word was meant
    assert codes(catalogue, q="gkucomics") == []  # two letters wrong


def test_the_course_whose_code_is_searched_comes_first_then_title_before_description(changing_catalogue):
    with changing_catalogue.transaction() as session:
        course = operations.create_course(session, LUMC_COORDINATOR, CourseSchema().load(course_payload(
            code="IMMUNOLOGY", topics=[], title={"en": "Basics for visitors"},
            description={"en": "Immunology for the curious."})))
        operations.set_course_status(session, LUMC_COORDINATOR, course.id, "published")
    found = codes(changing_catalogue, q="immunology")
    assert found[0] == "IMMUNOLOGY"
    # HEL-510 and ALG-401 have it in their titles or topics, CHI-530 only in its description.
    assert found[1:] == ["HEL-510", "ALG-401", "CHI-530"]


def test_the_course_with_more_of_the_words_in_its_title_comes_first(catalogue):
    found = codes(catalogue, q="allergic immunology")
    assert found[0] == "ALG-401"  # both words in the title; the others have one in a topic at most


def test_an_edited_course_is_found_by_its_new_words_and_their_typos(changing_catalogue):
    with changing_catalogue.transaction() as session:
        course = session.scalars(select(Course).where(Course.code == "GLB-320")).one()
        operations.update_course(session, SEED_ADMIN, course.id, course.version,
                                 {"title": {"en": "Glycobiology of trypanosomiasis for clinicians"}})
    assert codes(changing_catalogue, q="trypanosomes") == ["GLB-320"]
    assert codes(changing_catalogue, q="trypanosmiasis") == ["GLB-320"]


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
    assert codes(catalogue, q="glyco%s") == codes(catalogue, q="glyco s")


def test_filters_narrow_the_list(catalogue):
    assert codes(catalogue, institution="SSMU", level="phd") == ["IMM-610"]
    assert codes(catalogue, topic="Helminths") == ["CHI-530", "HEL-510", "OPI-410"]
    assert codes(catalogue, language="RU") == ["ALG-401", "OPI-410"]
    assert len(codes(catalogue, term=_seeded_term(catalogue))) == 8
    assert codes(catalogue, term="1999-spring") == []


def test_the_coordinator_filter_finds_the_courses_naming_a_person_of_either_institution(catalogue):
    assert codes(catalogue, coordinator="lumc-coordinator") == ["CHI-530", "GLY-501", "HEL-510", "MET-620",
                                                                  "GLB-320"]
    assert codes(catalogue, coordinator="lumc-coordinator", institution="SSMU") == ["GLB-320"]
    assert codes(catalogue, coordinator="ssmu-coordinator", institution="LUMC") == []
    assert codes(catalogue, LUMC_COORDINATOR, coordinator="lumc-coordinator", status="draft") == ["DRAFT-1"]
    assert codes(catalogue, SSMU_COORDINATOR, coordinator="lumc-coordinator", status="draft") == []


@pytest.mark.parametrize("value", ["lumc", "LUMC-COORDINATOR", "lumc-coordinator%", "x' OR '1'='1"])
def test_the_coordinator_filter_is_an_exact_id_not_a_pattern(catalogue, value):
    assert codes(catalogue, coordinator=value) == []


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


def test_modified_since_is_a_change_feed_oldest_change_first(changing_catalogue):
    now = datetime.now(timezone.utc)
    with changing_catalogue.transaction() as session:
        session.execute(update(Course).values(updated_at=now - timedelta(days=30)))
        session.execute(update(Course).where(Course.code == "OPI-410").values(updated_at=now - timedelta(minutes=5)))
        session.execute(update(Course).where(Course.code == "ALG-401").values(updated_at=now - timedelta(minutes=9)))
    assert codes(changing_catalogue, modified_since=now - timedelta(hours=1)) == ["ALG-401", "OPI-410"]


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_the_migration_indexes_the_courses_already_there(request, tmp_path, backend):
    url = (f"sqlite:///{tmp_path / 'catalogue.db'}" if backend == "sqlite"
           else request.getfixturevalue("postgres_database_factory")("backfill"))
    upgrade("catalogue", url, "7b1e5c0d2a47")  # before word-form search
    db = Database(url)
    with db.engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO courses (id, code, code_key, institution, title, description, ects, level, language,"
            " isced, status, version, created_by, created_at, updated_at, search_text) VALUES ('c1', 'HEL-510',"
            " 'hel-510', 'LUMC', :title, :description, 5, 'master', 'en', '0912', 'published', 1, 'x', :now, :now,"
            " 'гельминтозы')"),
            {"title": '{"en": "Helminth Infections", "ru": "Гельминтозы"}', "description": '{"en": "Hookworms."}',
             "now": datetime.now(timezone.utc)})
        connection.execute(text(
            "INSERT INTO course_topics (course_id, value, position) VALUES ('c1', 'immunology', 0)"))
    upgrade("catalogue", url)
    assert codes(db, q="гельминты") == ["HEL-510"]
    assert codes(db, q="immunological") == ["HEL-510"]  # a topic
    assert codes(db, q="hookworm") == ["HEL-510"]
    assert codes(db, q="helmnth infection") == ["HEL-510"]  # a typo, corrected against the vocabulary
    db.dispose()


def test_control_characters_in_a_query_separate_words_and_break_nothing(catalogue):
    assert codes(catalogue, q="glycomics\x00") == codes(catalogue, q="glycomics") != []
    assert codes(catalogue, q="\x00") == []


def test_a_ranked_search_is_paged_with_its_total_in_one_pass(catalogue):
    ranked = codes(catalogue, q="immunology")
    pages = []
    with catalogue.transaction() as session:
        for page in (1, 2, 3):
            items, header = paginate_ranked(session, search_courses(session, None, {"q": "immunology"}),
                                            Course.id, page, 2)
            pages.append(([course.code for course in items], json.loads(header["X-Pagination"])["total"]))
    assert pages == [(ranked[:2], 3), (ranked[2:], 3), ([], 3)]
