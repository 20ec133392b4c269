"""Finding courses: word forms in English and Russian, one typo forgiven, filters, relevance order.

Each course keeps the Snowball stems of its words (`search_text`: code, titles, topics, descriptions;
`search_title`: code, titles, topics), each after a space. A searched word is stemmed the same way and
matches a course having a word whose stem begins with it (`LIKE '% stem%'`, served by the trigram
index on PostgreSQL), so "гельминты" finds "гельминтозы" and "allergic" finds "allergies". A word that
begins no known stem is taken for a typo and replaced by the known stems one typo away
(`search_words`, the vocabulary; both kept by catalogue.search_index). The same statements run on
SQLite and PostgreSQL.
"""

from __future__ import annotations

from typing import Any, Mapping

from sqlalchemy import ColumnElement, Select, case, exists, false, or_, select
from sqlalchemy.orm import Session

from catalogue.models import CatalogueVersion, Course, CourseCoordinator, CourseTopic, Offering, SearchWord
from catalogue.schemas import COURSE_CODE
from catalogue.search_index import distinct
from shared.http.auth import Principal
from shared.wordforms import fold, stems, within_one_typo

MAX_CORRECTIONS = 10  # known stems tried for one mistyped word


# The number of the catalogue's newest committed change (catalogue.models.CatalogueVersion); built once,
# since it is read for every anonymous search.
CATALOGUE_VERSION = select(CatalogueVersion.version).where(CatalogueVersion.id == 1)


def visible_courses(actor: Principal | None) -> Select:
    """Return the courses the actor may see: published ones, and those the actor may edit."""
    statement = select(Course)
    if actor is not None and actor.is_admin:
        return statement
    if actor is not None and actor.role == "coordinator":
        named = exists().where(CourseCoordinator.course_id == Course.id, CourseCoordinator.value == actor.id)
        return statement.where(or_(Course.status == "published", Course.institution == actor.institution, named))
    return statement.where(Course.status == "published")


def search_courses(session: Session, actor: Principal | None, filters: Mapping[str, Any]) -> Select:
    """Return the query of visible courses matching every given filter.

    With words to search, the best matches come first: the course whose code is the query, then
    courses with more of the words in code, title or topics; otherwise by institution and code.
    """
    statement = visible_courses(actor)
    text = filters.get("q") or ""
    searched = [_forms_of(session, word) for word in distinct(stems(text))]
    if text.strip() and not searched:  # only punctuation: nothing is made of it
        return statement.where(false())
    for forms in searched:
        statement = statement.where(_has_word(Course.search_text, forms))
    for name in ("institution", "level", "status"):
        if filters.get(name):
            statement = statement.where(getattr(Course, name) == filters[name])
    if filters.get("language"):
        statement = statement.where(Course.language == filters["language"].lower())
    if filters.get("topic"):
        statement = statement.where(exists().where(
            CourseTopic.course_id == Course.id, CourseTopic.value == fold(filters["topic"]).strip()))
    if filters.get("coordinator"):
        statement = statement.where(exists().where(
            CourseCoordinator.course_id == Course.id, CourseCoordinator.value == filters["coordinator"]))
    if filters.get("term"):
        statement = statement.where(exists().where(Offering.course_id == Course.id,
                                                   Offering.term == filters["term"]))
    if filters.get("modified_since"):
        # A change feed: oldest change first, so a partner can page through and remember the last.
        return statement.where(Course.updated_at >= filters["modified_since"]).order_by(
            Course.updated_at, Course.id)
    if is_ranked(filters):
        if COURSE_CODE.match(text.strip()):  # (anything else, a NUL say, is no code and never sent)
            statement = statement.order_by(case((Course.code_key == text.strip().lower(), 0), else_=1))
        in_headline = [case((_has_word(Course.search_title, forms), 1), else_=0) for forms in searched]
        statement = statement.order_by(sum(in_headline[1:], in_headline[0]).desc())
    return statement.order_by(Course.institution, Course.code, Course.id)


def is_ranked(filters: Mapping[str, Any]) -> bool:
    """Whether the courses come best match first, an order that reads every match (see search_courses)."""
    return bool(stems(filters.get("q") or "")) and not filters.get("modified_since")


def _forms_of(session: Session, query_stem: str) -> list[str]:
    """Return the stems a searched word stands for: itself if some course has a word beginning so,
    else the known stems one typo away, else itself (finding nothing)."""
    if session.scalar(select(SearchWord.word).where(*_beginning_with(query_stem)).limit(1)) is not None:
        return [query_stem]
    # A typo in the first letter is not looked for: it keeps the candidates few.
    candidates = session.scalars(select(SearchWord.word).where(*_beginning_with(query_stem[0]))
                                 .order_by(SearchWord.word))
    corrections = [word for word in candidates if within_one_typo(query_stem, word)]
    return corrections[:MAX_CORRECTIONS] or [query_stem]


def _beginning_with(prefix: str) -> tuple[ColumnElement[bool], ...]:
    """The words beginning with a prefix, as a range of the vocabulary's index (byte order on both)."""
    after = prefix[:-1] + chr(ord(prefix[-1]) + 1)
    return SearchWord.word >= prefix, SearchWord.word < after


def _has_word(column, forms: list[str]) -> ColumnElement[bool]:
    # Stems are letters and digits only, so they hold no LIKE wildcard to escape.
    return or_(*(column.like(f"% {form}%") for form in forms))
