"""The report's plots (matplotlib, no display): latency distribution and throughput over time."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402 - the backend is chosen first
from matplotlib import ticker  # noqa: E402

from bench.measure import Outcome, Sample  # noqa: E402

BIN_SECONDS = 0.5


def plot_outcome(outcome: Outcome, path: Path) -> None:
    """Draw the latency CDF and the throughput over time of ours against the baseline; save a PNG."""
    figure, (latency, throughput) = plt.subplots(1, 2, figsize=(11, 4))
    for sample in outcome.latency:
        ordered = sample.latencies_ms
        latency.plot(ordered, [(n + 1) / len(ordered) * 100 for n in range(len(ordered))], label=sample.label)
    latency.set(xscale="log", xlabel="latency (ms, log scale)", ylabel="% of operations done within",
                title="latency distribution")
    # Plain numbers at 1, 2 and 5 of each decade: matplotlib's "2×10¹ 3×10¹ …" labels run into each other.
    latency.xaxis.set_major_locator(ticker.LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    latency.xaxis.set_major_formatter(ticker.FuncFormatter(lambda value, _position: f"{value:g}"))
    latency.xaxis.set_minor_formatter(ticker.NullFormatter())
    for sample in outcome.throughput:
        times, rates = completions_over_time(sample)
        throughput.step(times, rates, where="post", label=sample.label)
    throughput.set(xlabel="seconds since the first operation started", ylabel="operations done per second",
                   title="throughput over time")
    for axes in (latency, throughput):
        axes.grid(alpha=0.3)
        axes.legend()
    figure.suptitle(outcome.scenario)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=90)
    plt.close(figure)


def completions_over_time(sample: Sample) -> tuple[list[float], list[float]]:
    """Return bin edges (seconds from the sample's first start) and the completions per second of each
    bin, the last rate repeated at the closing edge so a step plot draws every bin."""
    begin = min(sample.starts)
    bins = int((max(sample.ends) - begin) / BIN_SECONDS) + 1
    counts = [0] * bins
    for end in sample.ends:
        counts[int((end - begin) / BIN_SECONDS)] += 1
    rates = [count / BIN_SECONDS for count in counts]
    return [n * BIN_SECONDS for n in range(bins + 1)], rates + rates[-1:]
