"""How big each scenario runs: DESIGN section 7's sizes for `make bench`, tiny ones for the smoke run."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Scale:
    rush_students: int = 1000
    rush_seats: int = 50
    rush_rounds: int = 3  # each round: the baseline, then a rush on a fresh offering
    rush_concurrency: int = 100
    pipeline_enrolments: int = 5000  # pre-loaded, then drained by the relay and the consumer
    steady_rate: int = 100  # enrolments per second through the API
    steady_seconds: float = 30
    courses: int = 10_000
    search_seconds: float = 10  # each phase: saturating clients, then a steady rate
    search_clients: int = 8
    search_rate: int = 50  # requests per second while latency is measured
    day_students: int = 2000  # registration day: students arriving ...
    day_offerings: int = 40  # ... for these offerings ...
    day_seconds: float = 60  # ... over this long, the rate ramping up over the first third
    retention_rows: int = 1_000_000  # published outbox rows past their retention, pruned beside a rush


FULL = Scale()
SMOKE = Scale(rush_students=40, rush_seats=5, rush_rounds=1, rush_concurrency=20, pipeline_enrolments=60,
              steady_rate=20, steady_seconds=1.5, courses=240, search_seconds=1, search_clients=4,
              search_rate=20, day_students=40, day_offerings=4, day_seconds=3, retention_rows=50_000)
