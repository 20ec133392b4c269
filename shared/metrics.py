"""Prometheus metrics: request counts and latencies, events published and consumed."""

from __future__ import annotations

import os

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, multiprocess

REQUESTS = Counter("http_requests_total", "HTTP requests answered",
                   ["service", "method", "endpoint", "status"])
LATENCY = Histogram("http_request_duration_seconds", "Time to answer an HTTP request",
                    ["service", "method", "endpoint"],
                    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5))
EVENTS_PUBLISHED = Counter("events_published_total", "Events the broker confirmed", ["service"])
EVENTS_CONSUMED = Counter("events_consumed_total", "Events consumed, by outcome",
                          ["service", "type", "outcome"])


def metrics_registry() -> CollectorRegistry:
    """Return the registry to expose: all gunicorn workers' when PROMETHEUS_MULTIPROC_DIR is set."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return registry
    return REGISTRY
