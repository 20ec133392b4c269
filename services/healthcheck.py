"""The container's health check: `python -m services.healthcheck [URL]`, exit 0 when URL answers 2xx.

Without URL: a relay, consumer or mailer with METRICS_PORT set is checked on its metrics server, a
web process on port 8000's liveness. Only the standard library, so a check every few seconds stays cheap.
"""

import os
import sys
import urllib.request


def default_url() -> str:
    metrics_port = os.environ.get("METRICS_PORT")
    if metrics_port:
        return f"http://127.0.0.1:{metrics_port}/metrics"
    return "http://127.0.0.1:8000/health/live"


def main(argv: list[str]) -> int:
    url = argv[0] if argv else default_url()
    try:
        with urllib.request.urlopen(url, timeout=3) as response:
            return 0 if 200 <= response.status < 300 else 1
    except OSError as exc:  # refused, timed out, or an HTTP error status
        print(f"unhealthy: {url}: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
