"""The bare Flask endpoints the figures are ratios against, served by the same gunicorn settings.

    insert: one INSERT of the posted student id into the benchmarked database, answered as JSON
    search: a fixed page of courses as JSON, the size of a real search answer, no database
    bare: nothing but Flask (resident memory)
    search_sql: the statements a search runs (recorded from the catalogue), run on the same database,
        their rows answered as JSON: the database's part of a search without the cache
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


def create_bare_app() -> Flask:
    """Flask and nothing else: what a process holds before any work (the memory figures' baseline)."""
    app = Flask(__name__)
    _add_health(app)
    return app


def create_search_sql_app() -> Flask:
    """A GET endpoint running, for `/search_sql/<n>`, the statements of query n in BENCH_SEARCH_SQL (a JSON
    list of [statement, parameters] lists per query) on BENCH_DATABASE_URL; it answers their rows."""
    app = Flask(__name__)
    engine = create_db_engine(os.environ["BENCH_DATABASE_URL"])
    with open(os.environ["BENCH_SEARCH_SQL"], encoding="utf-8") as recorded:
        queries = json.load(recorded)

    @app.get("/search_sql/<int:number>")
    def search_sql(number: int):
        with engine.connect() as connection:
            rows = [[list(row) for row in connection.exec_driver_sql(statement, parameters)]
                    for statement, parameters in queries[number]]
        return app.response_class(json.dumps(rows, default=str), mimetype="application/json")

    _add_health(app)
    return app


def _add_health(app: Flask) -> None:
    app.add_url_rule("/health/ready", "ready", lambda: "ok")
