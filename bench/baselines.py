"""The bare Flask endpoints the figures are ratios against, served by the same gunicorn settings.

    insert: one INSERT of the posted student id into the benchmarked database, answered as JSON
    search: a fixed page of courses as JSON, the size of a real search answer, no database
"""

from __future__ import annotations

import json
import os

from flask import Flask, jsonify, request
from sqlalchemy import text

from shared.db import create_db_engine

INSERT_TABLE = "bench_baseline_inserts"
CREATE_INSERT_TABLE = text(f"CREATE TABLE IF NOT EXISTS {INSERT_TABLE} "
                           "(id BIGSERIAL PRIMARY KEY, student_id TEXT NOT NULL, "
                           "created_at TIMESTAMPTZ NOT NULL DEFAULT now())")


def create_insert_app() -> Flask:
    """A POST endpoint doing one INSERT on BENCH_DATABASE_URL."""
    app = Flask(__name__)
    engine = create_db_engine(os.environ["BENCH_DATABASE_URL"])
    statement = text(f"INSERT INTO {INSERT_TABLE} (student_id) VALUES (:student_id) RETURNING id")

    @app.post("/insert")
    def insert():
        with engine.begin() as connection:
            row_id = connection.execute(statement, {"student_id": request.get_json()["student_id"]}).scalar_one()
        return jsonify(id=row_id), 201

    _add_health(app)
    return app


def create_search_app() -> Flask:
    """A GET endpoint answering the page of courses in BENCH_SEARCH_PAGE (a JSON file)."""
    app = Flask(__name__)
    with open(os.environ["BENCH_SEARCH_PAGE"], encoding="utf-8") as page:
        courses = json.load(page)

    @app.get("/search")
    def search():
        return jsonify(courses)

    _add_health(app)
    return app


def _add_health(app: Flask) -> None:
    app.add_url_rule("/health/ready", "ready", lambda: "ok")
