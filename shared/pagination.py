"""Pagination with `page` and `per_page`, the metadata in an X-Pagination header."""

from __future__ import annotations

import json
from typing import Any

import marshmallow as ma
from flask_smorest import Blueprint
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

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


def paginate(session: Session, statement: Select, page: int, per_page: int, *,
             reads_every_row: bool = False) -> tuple[list[Any], dict]:
    """Return one page of the statement's rows and the X-Pagination header for it.

    The total is a count of its own, so that the page can stop after its rows where an index gives
    the order. A statement whose order must read every matching row anyway (`reads_every_row`: a
    relevance order) counts them in the same pass, with a window count.
    """
    window = statement.limit(per_page).offset((page - 1) * per_page)
    if reads_every_row:
        rows = session.execute(window.add_columns(func.count().over())).all()
        items = [row[0] for row in rows]
        total = rows[0][1] if rows else _count(session, statement) if page > 1 else 0
    else:
        total = _count(session, statement)
        items = list(session.scalars(window))
    metadata = Blueprint._make_pagination_metadata(page, per_page, total)
    return items, {"X-Pagination": json.dumps(metadata)}


def _count(session: Session, statement: Select) -> int:
    return session.scalar(select(func.count()).select_from(statement.order_by(None).subquery())) or 0
