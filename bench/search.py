"""Scenario 3, catalogue search: typical queries (text in English and Russian, filters) over a seeded
catalogue, through the catalogue API under gunicorn; the baseline is a bare Flask endpoint answering
the same page of courses as JSON, same gunicorn settings."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from urllib.parse import urlencode

import httpx
from sqlalchemy import event

from bench.environment import Workspace, gunicorn, service_environment
from bench.measure import Figure, Outcome, Sample, generate_load, ratio, require
from bench.scale import Scale
from catalogue import offerings, operations
from catalogue.app import create_app
from catalogue.schemas import CourseSchema
from catalogue.seed import COURSES, SEED_ADMIN, next_term_start, offering_fields
from services.registry import app_factory_path
from shared.config import DEVELOPMENT_JWT_SECRET, Settings
from shared.db import Database
from shared.http.demo_tokens import demo_token
from shared.migrations import upgrade
from shared.wordforms import stems

TARGET_P99_MS = 50
TARGET_RATIO = 0.5
SCHEDULED_EVERY = 10  # one course in ten has an offering in the next term
COHORTS = [("Foundations", "Основы"), ("Advanced seminar", "Углублённый семинар"),
           ("Summer school", "Летняя школа"), ("Research practicum", "Исследовательский практикум"),
           ("Journal club", "Журнальный клуб")]
LEVELS = ("bachelor", "master", "phd", "staff")


def typical_queries(term: str) -> dict[str, dict]:
    """The queries a student types, by a readable name."""
    return {
        "text, English": {"q": "immunology"},
        "text, Russian": {"q": "гельминтозы"},
        "two words, Russian": {"q": "масс-спектрометрия белков"},
        "text + level": {"q": "glycomics", "level": "master"},
        "institution + level": {"institution": "SSMU", "level": "phd"},
        "topic": {"topic": "helminths"},
        "term": {"term": term},
        "language + institution": {"language": "ru", "institution": "SSMU"},
    }


def generated_courses(count: int) -> list[dict]:
    """Return `count` courses made from the demo courses: numbered codes, cohort titles, all levels."""
    courses = []
    for number in range(count):
        template = COURSES[number % len(COURSES)]
        cohort_en, cohort_ru = COHORTS[number % len(COHORTS)]
        courses.append({**template, "code": f"{template['code']}-{number:05d}",
                        "level": LEVELS[number // len(COURSES) % len(LEVELS)],
                        "title": {"en": f"{template['title']['en']}: {cohort_en}",
                                  "ru": f"{template['title']['ru']}: {cohort_ru}"}})
    return courses


def seed_courses(db: Database, courses: list[dict], chunk: int = 500) -> None:
    """Create, publish and (one in ten) schedule the courses through the catalogue's domain functions."""
    today = datetime.now(timezone.utc).date()
    for first in range(0, len(courses), chunk):
        with db.transaction() as session:
            for number, raw in enumerate(courses[first:first + chunk], start=first):
                course = operations.create_course(session, SEED_ADMIN, CourseSchema().load(raw))
                operations.set_course_status(session, SEED_ADMIN, course.id, "published")
                if number % SCHEDULED_EVERY == 0:
                    offerings.schedule_offering(session, SEED_ADMIN, course.id,
                                                offering_fields(course.institution, today, 20))


def tidy_up(db: Database) -> None:
    """VACUUM ANALYZE, as autovacuum would have done by the time a catalogue is searched: without
    statistics the planner guesses 10,000 fresh rows are a few hundred and picks its plans badly."""
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql("VACUUM ANALYZE")


def expected_total(courses: list[dict], query: dict, term: str) -> int:
    """Count the generated courses a query should find, from the data itself."""
    def matches(number: int, course: dict) -> bool:
        words = stems(" ".join([course["code"], *course["title"].values(), *course["description"].values(),
                                *course["topics"]]))
        return (all(any(word.startswith(searched) for word in words) for searched in stems(query.get("q", "")))
                and query.get("level", course["level"]) == course["level"]
                and query.get("institution", course["institution"]) == course["institution"]
                and query.get("language", course["language"]) == course["language"]
                and query.get("topic", course["topics"][0]) in course["topics"]
                and (query.get("term") is None or (query["term"] == term and number % SCHEDULED_EVERY == 0)))
    return sum(matches(number, course) for number, course in enumerate(courses))


def run_search(workspace: Workspace, scale: Scale) -> Outcome:
    """Seed the catalogue, check what each query finds, then load our API and the bare endpoint alike;
    then the same queries with a student's token, which the cache never answers, against a bare
    endpoint running the statements those searches run."""
    url = workspace.database("search_catalogue")
    upgrade("catalogue", url)
    db = Database(url)
    courses = generated_courses(scale.courses)
    seed_courses(db, courses)
    tidy_up(db)
    db.dispose()
    term = next_term_start(datetime.now(timezone.utc).date())[0]
    queries = typical_queries(term)
    page_file, sql_file = workspace.folder / "search-page.json", workspace.folder / "search-sql.json"
    paths = [f"/api/v1/courses?{urlencode(q)}" for q in queries.values()]
    environment = service_environment(workspace, CATALOGUE_DATABASE_URL=url, BENCH_DATABASE_URL=url,
                                      BENCH_SEARCH_PAGE=str(page_file), BENCH_SEARCH_SQL=str(sql_file))
    sql_file.write_text(json.dumps(recorded_statements(environment, paths)), encoding="utf-8")
    with gunicorn(workspace, "search-catalogue", app_factory_path("catalogue"), environment) as api:
        checks = [check_queries(api, courses, queries, term)]
        page_file.write_text(httpx.get(f"{api}/api/v1/courses", params=queries["text, English"]).text,
                             encoding="utf-8")
        ours = measure(workspace, "search", api, paths, scale)
        cold = saturate(workspace, "search-cold", api, paths, scale, STUDENT)
    with gunicorn(workspace, "search-baseline", "bench.baselines:create_search_app()", environment) as bare:
        baseline = measure(workspace, "search-baseline", bare, ["/search"], scale)
    with gunicorn(workspace, "search-sql-baseline", "bench.baselines:create_search_sql_app()", environment) as bare:
        bare_sql = saturate(workspace, "search-sql-baseline", bare, [f"/search_sql/{n}" for n in range(len(paths))],
                            scale)
    answers = [result for results in (*ours, *baseline, cold, bare_sql) for result in results]
    require({r["status"] for r in answers} == {200}, "a search was not answered 200")
    saturated, steady = (Sample.of_results("catalogue search API", results) for results in ours)
    bare_saturated, bare_steady = (Sample.of_results("bare JSON", results) for results in baseline)
    outcome = summarise(saturated, bare_saturated, steady, bare_steady, per_query(ours[1], queries), checks, scale)
    outcome.figures.append(Figure(f"uncached (a student's token; baseline: its SQL, bare), {scale.search_clients} "
                                  "clients (requests/s)",
                                  Sample.of_results("cold", cold).per_second,
                                  Sample.of_results("bare SQL", bare_sql).per_second))
    return outcome


STUDENT = {"Authorization": f"Bearer {demo_token(DEVELOPMENT_JWT_SECRET, role='student', institution='SSMU')}"}


def recorded_statements(environment: dict[str, str], paths: list[str]) -> list[list[tuple[str, dict]]]:
    """Return the statements the catalogue runs for each search (as a student, so none is cached)."""
    app = create_app(Settings.from_env("catalogue", {**environment, "LOG_LEVEL": "WARNING"}))
    engine = app.extensions["database"].engine
    statements: list[tuple[str, dict]] = []

    def record(_connection, _cursor, statement, parameters, _context, _executemany):
        statements.append((statement, parameters))

    recorded = []
    event.listen(engine, "before_cursor_execute", record)
    with app.test_client() as client:
        for path in paths:
            statements.clear()
            require(client.get(path, headers=STUDENT).status_code == 200, f"{path} was not answered 200")
            recorded.append([(statement, parameters) for statement, parameters in statements
                             if statement.strip() != "select pg_catalog.version()"])
    event.remove(engine, "before_cursor_execute", record)
    engine.dispose()
    return recorded


def check_queries(api: str, courses: list[dict], queries: dict[str, dict], term: str) -> str:
    """Every query finds exactly the courses the data says it should, all of them published."""
    everything = json.loads(httpx.get(f"{api}/api/v1/courses").headers["X-Pagination"])["total"]
    require(everything == len(courses), f"{everything} courses listed, {len(courses)} seeded")
    for name, query in queries.items():
        answer = httpx.get(f"{api}/api/v1/courses", params=query)
        found = json.loads(answer.headers["X-Pagination"])["total"]
        require(found == expected_total(courses, query, term), f"query {name!r} found {found} courses")
    return f"{len(courses):,} courses seeded; each of the {len(queries)} queries finds exactly its courses"


def saturate(workspace: Workspace, name: str, base_url: str, paths: list[str], scale: Scale,
             headers: dict | None = None) -> list[dict]:
    """Send the requests in turn from `search_clients` clients, each as soon as answered."""
    return generate_load(workspace, f"{name}-saturated", {
        "base_url": base_url, "concurrency": scale.search_clients, "duration": scale.search_seconds,
        "requests": [{"method": "GET", "path": path, "headers": headers} for path in paths]})


def measure(workspace: Workspace, name: str, base_url: str, paths: list[str], scale: Scale
            ) -> tuple[list[dict], list[dict]]:
    """Saturate the endpoint with clients (throughput), then send a steady rate (latency)."""
    requests = [{"method": "GET", "path": path} for path in paths]
    saturated = saturate(workspace, name, base_url, paths, scale)
    count = int(scale.search_rate * scale.search_seconds)
    steady = generate_load(workspace, f"{name}-steady", {
        "base_url": base_url, "concurrency": 50, "rate": scale.search_rate,
        "requests": [requests[n % len(requests)] for n in range(count)]})
    return saturated, steady


def per_query(results: list[dict], queries: dict[str, dict]) -> list[Sample]:
    return [Sample.of_results(name, [r for r in results if r["path"] == f"/api/v1/courses?{urlencode(query)}"])
            for name, query in queries.items()]


def summarise(saturated: Sample, bare_saturated: Sample, steady: Sample, bare_steady: Sample,
              queries: list[Sample], checks: list[str], scale: Scale) -> Outcome:
    throughput = ratio(saturated.per_second, bare_saturated.per_second)
    clients, rate = f"{scale.search_clients} clients", f"at {scale.search_rate} requests/s"
    figures = [
        Figure(f"throughput, {clients} (requests/s)", saturated.per_second, bare_saturated.per_second,
               f">= {TARGET_RATIO:.0%} of the baseline", throughput >= TARGET_RATIO),
        Figure(f"latency p50 {rate} (ms)", steady.latency_ms(50), bare_steady.latency_ms(50)),
        Figure(f"latency p99 {rate} (ms)", steady.latency_ms(99), bare_steady.latency_ms(99)),
        Figure(f"latency p99 at saturation, {clients} (ms)", saturated.latency_ms(99), bare_saturated.latency_ms(99),
               f"< {TARGET_P99_MS} ms", saturated.latency_ms(99) < TARGET_P99_MS),
    ]
    return Outcome("catalogue search", figures, checks, latency=[steady, bare_steady],
                   throughput=[saturated, bare_saturated], breakdown=queries)
