"""The Markdown report of a benchmark run (docs/benchmarks.md) with its plots beside it."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from bench.measure import Figure, Outcome
from bench.plots import plot_outcome
from bench.scale import Scale

TEMPLATES = Path(__file__).with_name("templates")


def number(value: float | None) -> str:
    if value is None:
        return ""
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:,.0f}" if value >= 100 else f"{value:,.1f}"


def verdict(figure: Figure) -> str:
    return {True: "**met**", False: "**missed**", None: ""}[figure.met]


def write_report(outcomes: list[Outcome], machine: dict[str, str], scale: Scale, path: Path, plots: Path) -> None:
    """Plot every outcome into `plots` and write the report to `path`."""
    pictures = {}
    for outcome in outcomes:
        picture = plots / f"{outcome.scenario.replace(' ', '-')}.png"
        plot_outcome(outcome, picture)
        pictures[outcome.scenario] = picture.relative_to(path.parent).as_posix()
    environment = Environment(loader=FileSystemLoader(TEMPLATES), undefined=StrictUndefined, trim_blocks=True,
                              lstrip_blocks=True, keep_trailing_newline=True)
    environment.filters.update(number=number, verdict=verdict)
    text = environment.get_template("benchmarks.md.j2").render(
        outcomes={outcome.scenario: outcome for outcome in outcomes}, machine=machine, scale=scale, pictures=pictures,
        measured_at=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"))
    path.write_text(text, encoding="utf-8")
