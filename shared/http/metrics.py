"""Every request timed and counted, and the metrics served at /metrics in Prometheus' text format."""

from __future__ import annotations

import time

from flask import Flask, Response, g, request
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from shared.metrics import LATENCY, REQUESTS, metrics_registry


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
