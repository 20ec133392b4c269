"""Scenario 1, the seat rush: students race for few seats through the enrolment API under gunicorn;
the baseline is a bare Flask endpoint doing one INSERT on the same database, same gunicorn settings."""

from __future__ import annotations

import resource
import subprocess
from collections import Counter
from dataclasses import dataclass

import httpx
from sqlalchemy import select

from bench.baselines import CREATE_INSERT_TABLE
from bench.environment import (Workspace, cpu_by_pid, cpu_since, gunicorn, postgres_pids, resident_memory_mb,
                               server_pids, service_environment)
from bench.measure import Figure, Outcome, Sample, generate_load, ratio, require
from bench.offerings import OfferingDesk
from bench.scale import Scale
from services.registry import app_factory_path
from shared import events
from shared.config import DEVELOPMENT_JWT_SECRET
from shared.db import Database
from shared.http.demo_tokens import demo_token
from shared.messaging.envelope import Event
from shared.messaging.outbox import OutboxMessage

TARGET_RATIO = 0.6
TARGET_P99_MS = 250


def run_seat_rush(workspace: Workspace, scale: Scale) -> Outcome:
    """Alternate baseline runs and rushes on fresh offerings; check every rush's outcome."""
    desk = OfferingDesk.on_fresh_databases(workspace, "rush")
    enrolment, enrolment_url = desk.enrolment, desk.enrolment.url
    with enrolment.transaction() as session:
        session.execute(CREATE_INSERT_TABLE)
    environment = service_environment(workspace, ENROLMENT_DATABASE_URL=enrolment_url,
                                      BENCH_DATABASE_URL=enrolment_url)
    ours, baseline, checks = [], [], []
    our_cpu, baseline_cpu = CpuUse(), CpuUse()
    with gunicorn(workspace, "rush-enrolment", app_factory_path("enrolment"), environment) as enrolment_api, \
            gunicorn(workspace, "rush-baseline", "bench.baselines:create_insert_app()", environment) as insert_api, \
            gunicorn(workspace, "rush-bare", "bench.baselines:create_bare_app()", environment):
        for round_number in range(scale.rush_rounds):
            students = [f"rush-{round_number}-{n}" for n in range(scale.rush_students)]
            inserts = baseline_cpu.of(workspace.processes["rush-baseline"], lambda: generate_load(
                workspace, f"rush-baseline-{round_number}", insert_plan(insert_api, students, scale)))
            offering_id = desk.open_offering(scale.rush_seats)
            results = our_cpu.of(workspace.processes["rush-enrolment"], lambda: generate_load(
                workspace, f"rush-{round_number}", rush_plan(enrolment_api, offering_id, students, scale)))
            checks.append(check_rush(enrolment, enrolment_api, offering_id, results, scale))
            ours.append(Sample.of_results(f"enrolment API, round {round_number + 1}", results))
            baseline.append(Sample.of_results(f"bare INSERT, round {round_number + 1}", inserts))
        memory = Figure("resident memory after the rush, one enrolment API worker (MB; baseline: bare Flask)",
                        resident_memory_mb(workspace.processes["rush-enrolment"]),
                        resident_memory_mb(workspace.processes["rush-bare"]))
    desk.dispose()
    outcome = summarise(ours, baseline, checks)
    outcome.figures += [memory, *our_cpu.figures(baseline_cpu)]
    return outcome


@dataclass
class CpuUse:
    """CPU time (seconds) the web server's processes, PostgreSQL and the load generator used for `requests`."""

    web: float = 0.0
    database: float = 0.0
    load: float = 0.0
    requests: int = 0

    def of(self, server: subprocess.Popen, run_load) -> list[dict]:
        """Run the load (`run_load()`, returning its results) and add what it cost to the totals."""
        web, database = cpu_by_pid(server_pids(server)), cpu_by_pid(postgres_pids())
        load = _children_cpu()
        results = run_load()
        self.web += cpu_since(web, server_pids(server))
        self.database += cpu_since(database, postgres_pids())
        self.load += _children_cpu() - load
        self.requests += len(results)
        return results

    def figures(self, baseline: CpuUse) -> list[Figure]:
        """CPU per request (ms) in each part, against the baseline's: where a rush's CPU goes."""
        return [Figure(f"CPU per request, {what} (ms; baseline: the bare INSERT's)",
                       getattr(self, part) * 1000 / self.requests, getattr(baseline, part) * 1000 / baseline.requests)
                for part, what in (("web", "web workers"), ("database", "PostgreSQL"), ("load", "load generator"))]


def _children_cpu() -> float:
    """CPU time of this process's ended children (the load generator's runs)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def rush_once(workspace: Workspace, desk: OfferingDesk, db: Database, api: str, scale: Scale, name: str,
              checks: list[str], reserved: list[dict] | None = None, institutions: tuple[str, ...] = ("SSMU",)
              ) -> Sample:
    """One rush on a fresh offering (with the `reserved` pools), its outcome checked and added to `checks`."""
    students = [f"{name}-{n}" for n in range(scale.rush_students)]
    offering_id = desk.open_offering(scale.rush_seats, reserved)
    results = generate_load(workspace, f"rush-{name}", rush_plan(api, offering_id, students, scale, institutions))
    checks.append(f"{name}: {check_rush(db, api, offering_id, results, scale)}")
    return Sample.of_results(f"seat rush, {name}", results)


def insert_plan(base_url: str, students: list[str], scale: Scale) -> dict:
    return {"base_url": base_url, "concurrency": scale.rush_concurrency,
            "requests": [{"method": "POST", "path": "/insert", "json": {"student_id": student}}
                         for student in students]}


def rush_plan(base_url: str, offering_id: str, students: list[str], scale: Scale,
              institutions: tuple[str, ...] = ("SSMU",)) -> dict:
    """Every student enrols once; the students take turns at being of each of `institutions`."""
    return {"base_url": base_url, "concurrency": scale.rush_concurrency, "keep_bodies": True,
            "requests": [{"method": "POST", "path": "/api/v1/enrolments", "json": {"offering_id": offering_id},
                          "headers": {"Authorization": "Bearer " + student_token(
                              student, institutions[number % len(institutions)])}}
                         for number, student in enumerate(students)]}


def student_token(student_id: str, institution: str = "SSMU") -> str:
    return demo_token(DEVELOPMENT_JWT_SECRET, role="student", institution=institution, sub=student_id,
                      name=f"Студент {student_id}")


def check_rush(db: Database, base_url: str, offering_id: str, results: list[dict], scale: Scale) -> str:
    """Exactly `seats` confirmed, everyone else waitlisted at the position of their committed request."""
    waiting = scale.rush_students - scale.rush_seats
    require(Counter(r["status"] for r in results) == {201: scale.rush_students},
            f"not every enrolment was answered 201: {Counter(r['status'] for r in results)}")
    require(Counter(r["body"]["status"] for r in results) == {"confirmed": scale.rush_seats, "waitlisted": waiting},
            "wrong split of confirmed and waitlisted")
    answered = {r["body"]["id"]: r for r in results if r["body"]["status"] == "waitlisted"}
    committed = waitlisted_in_commit_order(db, offering_id)
    require([answered[enrolment_id]["body"]["waitlist_position"] for enrolment_id in committed]
            == list(range(1, waiting + 1)), "waiting-list positions differ from the order of the commits")
    require_real_time_order(list(answered.values()))
    require(roster_positions(base_url, offering_id) == {r["body"]["student_id"]: r["body"]["waitlist_position"]
                                                        for r in answered.values()},
            "the roster's waiting list differs from what the students were told")
    return (f"{scale.rush_students} students, {scale.rush_seats} seats: {scale.rush_seats} confirmed, "
            f"{waiting} waitlisted at positions 1..{waiting} in commit order")


def waitlisted_in_commit_order(db: Database, offering_id: str) -> list[str]:
    """Return the offering's waitlisted enrolment ids in the order they were committed.

    Each enrolment.waitlisted outbox row is numbered by a sequence while its transaction holds the
    offering's row lock, which it keeps until it commits: outbox order is commit order.
    """
    with db.reading() as session:
        bodies = session.scalars(select(OutboxMessage.body).where(
            OutboxMessage.event_type == events.ENROLMENT_WAITLISTED).order_by(OutboxMessage.id))
        data = [Event.from_json(body).data for body in bodies]
    return [d["enrolment"]["id"] for d in data if d["offering"]["id"] == offering_id]


def require_real_time_order(answers: list[dict]) -> None:
    """Whoever had their answer before another student even asked must stand ahead in line."""
    by_start = sorted(answers, key=lambda r: r["start"])
    by_end = sorted(answers, key=lambda r: r["end"])
    finished, best_ahead = 0, 0
    for answer in by_start:
        while finished < len(by_end) and by_end[finished]["end"] < answer["start"]:
            best_ahead = max(best_ahead, by_end[finished]["body"]["waitlist_position"])
            finished += 1
        require(best_ahead < answer["body"]["waitlist_position"],
                "a student answered earlier stands behind one who asked later")


def roster_positions(base_url: str, offering_id: str) -> dict[str, int]:
    """Return each waiting student's position as the coordinator's roster shows it."""
    coordinator = demo_token(DEVELOPMENT_JWT_SECRET, role="coordinator", institution="LUMC")
    answer = httpx.get(f"{base_url}/api/v1/offerings/{offering_id}/roster", timeout=30,
                       headers={"Authorization": f"Bearer {coordinator}"})
    answer.raise_for_status()
    return {entry["student_id"]: entry["waitlist_position"] for entry in answer.json()
            if entry["status"] == "waitlisted"}


def rush_figures(ours: Sample, baseline: Sample, target_ratio: float, versus: str,
                 p99_target_ms: float | None = None) -> list[Figure]:
    """A rush's throughput against its baseline's (the target: a share of it), and its p50 and p99 latencies."""
    p99_target = (f"< {p99_target_ms} ms", ours.latency_ms(99) < p99_target_ms) if p99_target_ms else ()
    return [
        Figure("throughput (requests/s)", ours.per_second, baseline.per_second,
               f">= {target_ratio:.0%} of {versus}", ratio(ours.per_second, baseline.per_second) >= target_ratio),
        Figure("latency p50 (ms)", ours.latency_ms(50), baseline.latency_ms(50)),
        Figure("latency p99 (ms)", ours.latency_ms(99), baseline.latency_ms(99), *p99_target),
    ]


def summarise(rounds: list[Sample], baseline_rounds: list[Sample], checks: list[str]) -> Outcome:
    """Pool the rounds, counting only the time each ran (the baseline and the rush take turns)."""
    ours, baseline = Sample.pooled("enrolment API", rounds), Sample.pooled("bare INSERT", baseline_rounds)
    figures = rush_figures(ours, baseline, TARGET_RATIO, "the baseline", p99_target_ms=TARGET_P99_MS)
    return Outcome("seat rush", figures, checks, latency=[ours, baseline], throughput=[rounds[0], baseline_rounds[0]])
