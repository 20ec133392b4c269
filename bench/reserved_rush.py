"""Scenario: the seat rush with seats reserved per institution (issue 18: the rush keeps its figures with
reservations switched on). Rushes on offerings without reservations, which enrolment decides in one
statement, take turns with rushes on offerings of as many seats of which a fifth are reserved for SSMU
students until next week, which enrolment decides in one statement that also reads and counts the pools.
In both, students of LUMC and SSMU take turns. The rushes with reservations must keep at least 90% of the others'
throughput, and every rush's outcome is checked as the seat rush's is."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from bench.environment import Workspace, gunicorn, service_environment
from bench.measure import Outcome, Sample, require
from bench.offerings import OfferingDesk
from bench.scale import Scale
from bench.seat_rush import rush_figures, rush_once
from enrolment.models import Enrolment
from services.registry import app_factory_path
from shared.db import Database, utcnow

TARGET_RATIO = 0.9
RESERVED_SHARE = 0.2
INSTITUTIONS = ("LUMC", "SSMU")


def run_reserved_rush(workspace: Workspace, scale: Scale) -> Outcome:
    """Alternate rushes without and with a pool reserved for SSMU, on fresh offerings of the same seats."""
    desk = OfferingDesk.on_fresh_databases(workspace, "pools")
    enrolment, enrolment_url = desk.enrolment, desk.enrolment.url
    pool = {"institution": "SSMU", "seats": max(1, round(scale.rush_seats * RESERVED_SHARE)),
            "release_at": (utcnow() + timedelta(days=7)).isoformat()}
    environment = service_environment(workspace, ENROLMENT_DATABASE_URL=enrolment_url)
    open_only, reserved, checks = [], [], []
    with gunicorn(workspace, "pools-enrolment", app_factory_path("enrolment"), environment) as api:
        for round_number in range(scale.rush_rounds):
            open_only.append(rush_once(workspace, desk, enrolment, api, scale, f"no-pool-{round_number}", checks,
                                       institutions=INSTITUTIONS))
            reserved.append(rush_once(workspace, desk, enrolment, api, scale, f"ssmu-pool-{round_number}", checks,
                                      [pool], INSTITUTIONS))
    checks.append(check_pools(enrolment, pool["seats"], scale.rush_rounds))
    desk.dispose()
    return summarise(open_only, reserved, checks)


def check_pools(db: Database, seats: int, rushes: int) -> str:
    """Each rush with a pool filled it, with SSMU students only."""
    with db.reading() as session:
        taken = session.execute(select(Enrolment.offering_id, Enrolment.student_institution, func.count())
                                .where(Enrolment.pool.is_not(None), Enrolment.status == "confirmed")
                                .group_by(Enrolment.offering_id, Enrolment.student_institution)).all()
    require({institution for _, institution, _ in taken} == {"SSMU"}, f"reserved seats went to {taken}")
    require(sorted(count for *_, count in taken) == [seats] * rushes, f"the pools were not filled: {taken}")
    return f"every reserved seat ({seats} in each of {rushes} rush(es)) taken by an SSMU student"


def summarise(open_only: list[Sample], reserved: list[Sample], checks: list[str]) -> Outcome:
    ours, baseline = Sample.pooled("rush with a reserved pool", reserved), Sample.pooled("rush without", open_only)
    figures = rush_figures(ours, baseline, TARGET_RATIO, "the rush without reservations")
    return Outcome("seat rush with reserved seats", figures, checks, latency=[ours, baseline],
                   throughput=[reserved[0], open_only[0]])
