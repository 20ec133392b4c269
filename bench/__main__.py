"""`python -m bench`: the figures of DESIGN section 7, each against a baseline measured in the same run,
written to docs/benchmarks.md with plots in docs/bench/.

`python -m bench --smoke`: the same scenarios at tiny sizes, checking their outcomes (counts and
order) and never their timings; it fails when PostgreSQL or RabbitMQ is missing.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

from bench.environment import ServersMissing, Workspace, check_servers
from bench.machine import describe_machine, load_average
from bench.measure import CheckFailed, Outcome
from bench.pipeline import run_pipeline
from bench.registration_day import run_registration_day
from bench.report import number, write_report
from bench.reserved_rush import run_reserved_rush
from bench.retention import run_retention
from bench.scale import FULL, SMOKE
from bench.search import run_search
from bench.seat_rush import run_seat_rush

SCENARIOS = (run_seat_rush, run_pipeline, run_search, run_registration_day, run_retention, run_reserved_rush)


def print_outcome(outcome: Outcome, with_figures: bool) -> None:
    for check in outcome.checks:
        print(f"  ok: {check}")
    for figure in outcome.figures if with_figures else ():
        baseline = "" if figure.baseline is None else f"  baseline {number(figure.baseline)}  ratio {figure.ratio:.2f}"
        target = "" if figure.met is None else f"  target {figure.target}: {'met' if figure.met else 'MISSED'}"
        print(f"  {figure.what}: {number(figure.ours)}{baseline}{target}")
    for part in outcome.breakdown if with_figures else ():
        print(f"  part, {part.label}: {part.count} p50 {number(part.latency_ms(50))} ms, "
              f"p99 {number(part.latency_ms(99))} ms")


def scenario_name(scenario) -> str:
    return scenario.__name__.removeprefix("run_").replace("_", " ")


def run(smoke: bool, report: Path, only: list[str] | None = None) -> int:
    scale = SMOKE if smoke else FULL
    scenarios = [scenario for scenario in SCENARIOS if not only or scenario_name(scenario) in only]
    workspace = Workspace(Path(tempfile.mkdtemp(prefix="bench-")))
    machine = describe_machine()
    began = time.monotonic()
    outcomes = []
    try:
        for scenario in scenarios:
            print(f"== {scenario_name(scenario)}", flush=True)
            outcomes.append(scenario(workspace, scale))
            print_outcome(outcomes[-1], with_figures=not smoke)
    except CheckFailed as exc:
        print(f"FAILED: {exc} (process logs in {workspace.folder})", file=sys.stderr)
        return 1
    finally:
        workspace.close()
    shutil.rmtree(workspace.folder)
    if not smoke and not only:
        machine["load average at end (1/5/15 min)"] = load_average()
        machine["this run took"] = f"{(time.monotonic() - began) / 60:.0f} min"
        write_report(outcomes, machine, scale, report, report.parent / "bench")
        print(f"report: {report}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, outcomes only, no report")
    parser.add_argument("--report", type=Path, default=Path("docs/benchmarks.md"))
    parser.add_argument("--only", action="append", metavar="SCENARIO",
                        help="run only this scenario (e.g. 'seat rush'; repeatable); prints, writes no report")
    args = parser.parse_args(argv)
    try:
        check_servers()
    except ServersMissing as exc:
        print(f"cannot benchmark: {exc}", file=sys.stderr)
        return 2
    return run(args.smoke, args.report, args.only)


if __name__ == "__main__":
    sys.exit(main())
