"""Keeping courses findable: the stems of each course's text, and the vocabulary of all stems.

See catalogue.search for how they are searched.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Mapping

from sqlalchemy.orm import Session

from catalogue.models import SEARCH_WORD_LENGTH, Course, SearchWord
from shared.db import insert_missing
from shared.wordforms import stems


@dataclass(frozen=True)
class SearchIndex:
    """What a course is found by: its headline's stems, all its stems, and the vocabulary they add."""

    title: str
    text: str
    words: list[str]


def search_index(code: str, title: Mapping[str, str | None], description: Mapping[str, str | None],
                 topics: Iterable[str]) -> SearchIndex:
    """Return the search columns of a course with this text (also used by the migration's backfill)."""
    headline = distinct(stems(" ".join([code, *_texts(title), *topics])))
    body = distinct(stems(" ".join(_texts(description))))
    everything = distinct(headline + body)
    return SearchIndex(title=_spaced(headline), text=_spaced(everything),
                       words=sorted(word for word in everything if len(word) <= SEARCH_WORD_LENGTH))


def index_course(session: Session, course: Course) -> None:
    """Bring a course's search columns and the vocabulary up to date with its text."""
    index = search_index(course.code, course.title, course.description, course.topics)
    course.search_title, course.search_text = index.title, index.text
    remember_words(session, index.words)


def remember_words(session: Session, words: list[str]) -> None:
    """Add stems to the vocabulary; sorted, so concurrent writers take the key locks in one order."""
    if words:
        with session.no_autoflush:  # the course is flushed by its caller, who turns a duplicate code into a 409
            insert_missing(session, SearchWord.__table__, [{"word": word} for word in sorted(words)])


def distinct(values: Iterable[str]) -> list[str]:
    """The values without repeats, in their first order."""
    return list(dict.fromkeys(values))


def _texts(localised: Mapping[str, str | None]) -> list[str]:
    return [text for text in localised.values() if text]


def _spaced(words: list[str]) -> str:
    return "".join(f" {word}" for word in words) + " "
