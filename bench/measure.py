"""Samples of timed operations, the figures taken from them, and the load generator's process."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from dataclasses import dataclass, field

from bench.environment import Workspace


@dataclass
class Sample:
    """One side of a comparison: when each operation started and when it was done (Unix seconds)."""

    label: str
    starts: list[float]
    ends: list[float]
    busy_seconds: float | None = None  # of runs measured apart: the time they ran, the gaps left out

    @classmethod
    def of_results(cls, label: str, results: list[dict]) -> "Sample":
        return cls(label, [r["start"] for r in results], [r["end"] for r in results])

    @classmethod
    def pooled(cls, label: str, runs: list["Sample"]) -> "Sample":
        """One sample of several runs measured apart; its rate counts only the time they ran."""
        return cls(label, [start for run in runs for start in run.starts], [end for run in runs for end in run.ends],
                   sum(run.seconds for run in runs))

    @property
    def count(self) -> int:
        return len(self.ends)

    @property
    def latencies_ms(self) -> list[float]:
        return sorted((end - start) * 1000 for start, end in zip(self.starts, self.ends))

    @property
    def seconds(self) -> float:
        """From the first start to the last end (of each run, when pooled)."""
        return self.busy_seconds if self.busy_seconds is not None else max(self.ends) - min(self.starts)

    @property
    def per_second(self) -> float:
        return self.count / self.seconds

    def latency_ms(self, percent: float) -> float:
        """The latency `percent` of the operations stayed within (nearest rank)."""
        ordered = self.latencies_ms
        return ordered[max(0, math.ceil(percent / 100 * len(ordered)) - 1)]

    def summary(self) -> dict:
        return {"count": self.count, "per_second": self.per_second, "p50_ms": self.latency_ms(50),
                "p99_ms": self.latency_ms(99)}


def generate_load(workspace: Workspace, name: str, plan: dict) -> list[dict]:
    """Run the load generator (bench.load) in its own process on `plan`; return its results."""
    plan_path, results_path = workspace.folder / f"{name}.plan.json", workspace.folder / f"{name}.results.jsonl"
    plan_path.write_text(json.dumps(plan), encoding="utf-8")
    with workspace.log(f"{name}.load") as log:
        subprocess.run([sys.executable, "-m", "bench.load", str(plan_path), str(results_path)], check=True,
                       stdout=log, stderr=subprocess.STDOUT)
    with results_path.open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines]


def ratio(ours: float, baseline: float) -> float:
    return ours / baseline if baseline else 0.0


@dataclass
class Figure:
    """One measured figure of a scenario beside its baseline, and whether it meets its target."""

    what: str
    ours: float
    baseline: float | None = None
    target: str = ""
    met: bool | None = None

    @property
    def ratio(self) -> float | None:
        return ratio(self.ours, self.baseline) if self.baseline is not None else None


class CheckFailed(AssertionError):
    """A scenario's outcome is wrong (a count, an order): its figures mean nothing."""


def require(condition: bool, message: str) -> None:
    if not condition:
        raise CheckFailed(message)


@dataclass
class Outcome:
    """What a scenario found: its figures, the correctness checks it passed, and the samples to plot."""

    scenario: str
    figures: list[Figure]
    checks: list[str]
    latency: list[Sample]  # ours first, then the baseline
    throughput: list[Sample]
    breakdown: list[Sample] = field(default_factory=list)  # ours, part by part (shown in a table)
