"""Prometheus metrics: request counts and latencies, served at /metrics."""

from __future__ import annotations

import os
import time

from flask import Flask, Response, g, request
from prometheus_client import (CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, REGISTRY,
                               generate_latest, multiprocess)

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


def install_metrics(app: Flask, service: str) -> None:
    """Time every request and serve the metrics in Prometheus' text format."""

    @app.before_request
    def start_timer():
        g.request_started = time.perf_counter()

    @app.after_request
    def record_request(response):
        endpoint = request.url_rule.rule if request.url_rule else "unmatched"
        REQUESTS.labels(service, request.method, endpoint, response.status_code).inc()
        started = g.get("request_started")
        if started is not None:
            LATENCY.labels(service, request.method, endpoint).observe(time.perf_counter() - started)
        return response

    @app.get("/metrics")
    def metrics():
        return Response(generate_latest(metrics_registry()), mimetype=CONTENT_TYPE_LATEST)
