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


def paginate(session: Session, statement: Select, page: int, per_page: int) -> tuple[list[Any], dict]:
    """Return one page of the statement's rows and the X-Pagination header for it."""
    total = session.scalar(select(func.count()).select_from(statement.order_by(None).subquery())) or 0
    items = list(session.scalars(statement.limit(per_page).offset((page - 1) * per_page)))
    metadata = Blueprint._make_pagination_metadata(page, per_page, total)
    return items, {"X-Pagination": json.dumps(metadata)}
