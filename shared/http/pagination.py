"""Pagination with `page` and `per_page`, the metadata in an X-Pagination header."""

from __future__ import annotations

import json
from typing import Any

import marshmallow as ma
from flask_smorest import Blueprint
from sqlalchemy import Select, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

MAX_PER_PAGE = 100
MAX_PAGE = 100_000  # keeps offsets within what every database accepts

PAGINATION_HEADER = {
    "X-Pagination": {
        "description": "Pagination metadata: total, total_pages, first_page, last_page, page, "
                       "previous_page, next_page",
        "schema": {"type": "string"},
    }
}


class PageArgsSchema(ma.Schema):
    """Which page of a list to return."""

    page = ma.fields.Integer(load_default=1, validate=ma.validate.Range(min=1, max=MAX_PAGE))
    per_page = ma.fields.Integer(load_default=20, validate=ma.validate.Range(min=1, max=MAX_PER_PAGE))


def paginate(session: Session, statement: Select, page: int, per_page: int) -> tuple[list[Any], dict]:
    """Return one page of the statement's rows and the X-Pagination header for it.

    The total is counted apart, so that the page stops after its rows where an index gives the order.
    """
    total = _count(session, statement)
    items = list(session.scalars(statement.limit(per_page).offset((page - 1) * per_page)))
    return items, _header(page, per_page, total)


def paginate_ranked(session: Session, statement: Select, key: InstrumentedAttribute, page: int, per_page: int
                    ) -> tuple[list[Any], dict]:
    """Like `paginate`, for an order that reads every matching row anyway (a relevance order).

    One pass over the matches finds the page's keys and counts them all (a window count over narrow
    rows), then the page's rows are loaded by key: half the reading of a count and a page apart.
    """
    offset = (page - 1) * per_page
    keyed = statement.with_only_columns(key, func.count().over(), maintain_column_froms=True)
    rows = session.execute(keyed.limit(per_page).offset(offset)).all()
    total = rows[0][1] if rows else _count(session, statement) if offset else 0
    keys = [row[0] for row in rows]
    loaded = {getattr(item, key.key): item for item in session.scalars(select(key.class_).where(key.in_(keys)))}
    return [loaded[value] for value in keys], _header(page, per_page, total)


def _count(session: Session, statement: Select) -> int:
    return session.scalar(select(func.count()).select_from(statement.order_by(None).subquery())) or 0


def _header(page: int, per_page: int, total: int) -> dict[str, str]:
    return {"X-Pagination": json.dumps(Blueprint._make_pagination_metadata(page, per_page, total))}
