"""Scenario: retention beside the hot path. The enrolment outbox holds a million published rows past
their retention; seat rushes run through the API alone (the baseline), then again while
`python -m services prune enrolment` deletes those rows in its small batches. The rushes with
pruning must keep at least 90% of the baseline's throughput, and the pruning must go on meanwhile."""

from __future__ import annotations

import time

from sqlalchemy import func, select, text

from bench.environment import Workspace, gunicorn, service_environment, worker
from bench.measure import Figure, Outcome, Sample, require
from bench.offerings import OfferingDesk
from bench.scale import Scale
from bench.seat_rush import rush_figures, rush_once
from services.registry import app_factory_path
from shared.db import Database
from shared.messaging.outbox import OutboxMessage

TARGET_RATIO = 0.9
# Published 40 days ago, so every retention period of 30 days or less has passed.
FILL_OLD_ROWS = text("""
    INSERT INTO outbox (event_id, event_type, body, created_at, published_at, attempts)
    SELECT gen_random_uuid()::text, 'enrolment.seats_changed',
           '{"id":"old","type":"enrolment.seats_changed","data":{}}', now() - interval '40 days',
           now() - interval '40 days', 0
    FROM generate_series(1, :rows)""")


def run_retention(workspace: Workspace, scale: Scale) -> Outcome:
    """Alternate rushes alone and rushes beside pruning, topping the old rows up before each round."""
    desk = OfferingDesk.on_fresh_databases(workspace, "prune")
    enrolment, enrolment_url = desk.enrolment, desk.enrolment.url
    environment = service_environment(workspace, ENROLMENT_DATABASE_URL=enrolment_url)
    alone, pruned_beside, checks, rates = [], [], [], []
    with gunicorn(workspace, "prune-enrolment", app_factory_path("enrolment"), environment) as api:
        for round_number in range(scale.rush_rounds):
            top_up(enrolment, scale.retention_rows)
            alone.append(rush_once(workspace, desk, enrolment, api, scale, f"prune-alone-{round_number}", checks))
            before = old_rows(enrolment)
            with worker(workspace, "prune", "enrolment", environment):
                wait_for_pruning(enrolment, before)
                started, pruned_before = time.monotonic(), old_rows(enrolment)
                pruned_beside.append(rush_once(workspace, desk, enrolment, api, scale, f"prune-beside-{round_number}",
                                                checks))
                left, seconds = old_rows(enrolment), time.monotonic() - started
            checks.append(f"round {round_number + 1}: {pruned_before - left} old rows pruned during the rush, "
                          f"{left} left" + ("" if left else " (the pruning ended before the rush: enlarge "
                                                           "retention_rows for a fair figure)"))
            rates.append((pruned_before - left) / seconds)
    desk.dispose()
    return summarise(alone, pruned_beside, checks, sum(rates) / len(rates))


def top_up(db: Database, rows: int) -> None:
    missing = rows - old_rows(db)
    if missing > 0:
        with db.transaction() as session:
            session.execute(FILL_OLD_ROWS, {"rows": missing})
        with db.engine.connect() as connection:  # fresh statistics, as autovacuum would give a real table
            connection.execution_options(isolation_level="AUTOCOMMIT").execute(text("ANALYZE outbox"))


def old_rows(db: Database) -> int:
    with db.reading() as session:
        return session.scalar(select(func.count()).select_from(OutboxMessage)
                              .where(OutboxMessage.published_at < func.now() - text("interval '35 days'")))


def wait_for_pruning(db: Database, before: int) -> None:
    """Start the rush only once the pruner is deleting."""
    deadline = time.monotonic() + 60
    while old_rows(db) == before:
        require(time.monotonic() < deadline, "the pruner deleted nothing within a minute")
        time.sleep(0.2)


def summarise(alone: list[Sample], beside: list[Sample], checks: list[str], rows_per_second: float) -> Outcome:
    ours, baseline = Sample.pooled("rush while pruning", beside), Sample.pooled("rush alone", alone)
    figures = [*rush_figures(ours, baseline, TARGET_RATIO, "the rush alone"),
               Figure("old outbox rows pruned per second during the rush", rows_per_second)]
    return Outcome("retention beside a seat rush", figures, checks, latency=[ours, baseline],
                   throughput=[beside[0], alone[0]])
