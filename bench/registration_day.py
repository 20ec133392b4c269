"""Scenario 4, registration day: students arrive over a minute, the rate ramping up as the word spreads,
and each searches the catalogue, opens a course and its offerings, enrols, and reads their inbox, all
through the real APIs (catalogue, enrolment, notifications under gunicorn) with the enrolment relay and
the notifications and catalogue consumers running. No baseline: the figures are each step's latency
and the number of errors, which must be 0."""

from __future__ import annotations

import math
import time
from collections import Counter
from urllib.parse import urlencode

from sqlalchemy import func, select

from bench.environment import Workspace, gunicorn, service_environment, worker
from bench.measure import Figure, Outcome, Sample, generate_load, require
from bench.offerings import OfferingDesk
from bench.pipeline import student_token, students_told, wait_for_consumer
from bench.scale import Scale
from enrolment.models import Enrolment, Offering
from services.registry import app_factory_path
from shared.config import SERVICES
from shared.db import Database
from shared.migrations import upgrade

STEPS = ("search", "open course", "see its offerings", "enrol", "read inbox")
SEARCHES = ({"q": "гельминтозы"}, {"q": "helminths"}, {"q": "helminth infections", "level": "master"}, {})
RAMP_SHARE = 1 / 3  # the arrival rate rises evenly over the first third, then holds
NOTIFIED_TIMEOUT_SECONDS = 300


def run_registration_day(workspace: Workspace, scale: Scale) -> Outcome:
    """Open the offerings, let the students come, then check every answer and every enrolment's outcome."""
    urls = {service: workspace.database(f"day_{service}") for service in SERVICES}
    for service, url in urls.items():
        upgrade(service, url)
    dbs = {service: Database(url) for service, url in urls.items()}
    amqp_url = workspace.vhost()
    desk = OfferingDesk(dbs["catalogue"], dbs["enrolment"])
    capacity = max(1, scale.day_students // scale.day_offerings * 3 // 5)  # most get a seat, some wait
    offering_ids = [desk.open_offering(capacity) for _ in range(scale.day_offerings)]
    environment = service_environment(workspace, AMQP_URL=amqp_url,
                                      **{f"{service.upper()}_DATABASE_URL": url for service, url in urls.items()})
    with worker(workspace, "consumer", "notifications", environment), \
            worker(workspace, "consumer", "catalogue", environment):
        wait_for_consumer(amqp_url, "notifications")
        wait_for_consumer(amqp_url, "catalogue")
        with worker(workspace, "relay", "enrolment", environment), \
                gunicorn(workspace, "day-catalogue", app_factory_path("catalogue"), environment) as catalogue, \
                gunicorn(workspace, "day-enrolment", app_factory_path("enrolment"), environment) as enrolment, \
                gunicorn(workspace, "day-notifications", app_factory_path("notifications"), environment) as inbox:
            results = generate_load(workspace, "registration-day", {
                "concurrency": scale.day_students, "journeys": journeys(
                    scale, offering_ids, desk.course_of, {"catalogue": catalogue, "enrolment": enrolment, "notifications": inbox})})
            checks = [check_enrolments(dbs["enrolment"], results, capacity, scale),
                      check_notified(dbs["notifications"], scale.day_students)]
    for db in dbs.values():
        db.dispose()
    return summarise(results, checks, scale)


def arrival(number: int, students: int, seconds: float) -> float:
    """When the number-th student arrives: the rate rises evenly over the ramp, then holds."""
    ramp = seconds * RAMP_SHARE
    peak = students / (seconds - ramp / 2)  # arrivals per second once the ramp is over
    share = number + 0.5
    ramped = peak * ramp / 2
    return math.sqrt(2 * share * ramp / peak) if share <= ramped else ramp + (share - ramped) / peak


def journeys(scale: Scale, offering_ids: list[str], course_of: dict[str, str], urls: dict[str, str]) -> list[dict]:
    """Each student's visit: search, open a course, see its offerings, enrol, and (later) read the inbox."""
    people = []
    for number in range(scale.day_students):
        offering_id = offering_ids[number % len(offering_ids)]
        token = {"Authorization": f"Bearer {student_token(f'day-{number}')}"}
        think = 0.5 + (number % 4) * 0.25  # seconds between steps, as people read at different speeds
        catalogue = f"{urls['catalogue']}/api/v1"
        search = SEARCHES[number % len(SEARCHES)]
        people.append({"at": arrival(number, scale.day_students, scale.day_seconds), "steps": [
            {"label": "search", "method": "GET", "path": f"{catalogue}/courses?{urlencode(search)}"},
            {"label": "open course", "method": "GET", "path": f"{catalogue}/courses/{course_of[offering_id]}",
             "pause": think},
            {"label": "see its offerings", "method": "GET",
             "path": f"{catalogue}/courses/{course_of[offering_id]}/offerings"},
            {"label": "enrol", "method": "POST", "path": f"{urls['enrolment']}/api/v1/enrolments", "headers": token,
             "json": {"offering_id": offering_id}, "pause": think},
            {"label": "read inbox", "method": "GET", "path": f"{urls['notifications']}/api/v1/notifications/me",
             "headers": token, "pause": think},
        ]})
    return people


def check_enrolments(db: Database, results: list[dict], capacity: int, scale: Scale) -> str:
    """Every student enrolled once; no offering has more confirmed than seats; the rest wait."""
    enrolled = sum(1 for r in results if r["label"] == "enrol" and r["status"] == 201)
    with db.reading() as session:
        counts = session.execute(select(Offering.confirmed_count, Offering.waitlisted_count)).all()
        stored = session.scalar(select(func.count()).select_from(Enrolment))
    require(stored == enrolled, f"{enrolled} enrolments answered 201, {stored} stored")
    require(all(confirmed <= capacity for confirmed, _ in counts), "an offering has more confirmed than seats")
    confirmed = sum(confirmed for confirmed, _ in counts)
    require(confirmed + sum(waiting for _, waiting in counts) == stored, "the counters differ from the enrolments")
    return (f"{scale.day_students:,} students, {scale.day_offerings} offerings of {capacity} seats: {confirmed:,} "
            f"confirmed, {stored - confirmed:,} waitlisted, no offering over its capacity")


def check_notified(db: Database, students: int) -> str:
    """Every enrolment reached its student's inbox, once."""
    deadline = time.monotonic() + NOTIFIED_TIMEOUT_SECONDS
    while True:
        with db.reading() as session:
            told, _ = students_told(session)
        if told >= students or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    require(told == students, f"{students} enrolments, {told} notifications")
    return f"{students:,} enrolments: {students:,} notifications, one each"


def summarise(results: list[dict], checks: list[str], scale: Scale) -> Outcome:
    errors = Counter(r["status"] for r in results if r["status"] >= 400)
    steps = [Sample.of_results(step, [r for r in results if r["label"] == step]) for step in STEPS]
    figures = [Figure("errors (answers 4xx or 5xx)", sum(errors.values()), None, "0", not errors)]
    figures += [Figure(f"{step.label} p99 (ms)", step.latency_ms(99)) for step in steps]
    if errors:
        checks = [*checks, f"errors by status: {dict(errors)}"]
    return Outcome("registration day", figures, checks, latency=steps,
                   throughput=[Sample.of_results("every answer", results)], breakdown=steps)
