"""Run a service's web app under gunicorn for tests that need real processes and real concurrency."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from services.launcher import GUNICORN_CONFIG
from services.registry import app_factory_path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def gunicorn(service: str, env: dict[str, str], log_dir: Path, workers: int = 4) -> Iterator[str]:
    """Start `service` under gunicorn with `workers` workers; yield its base URL."""
    port = free_port()
    log = open(log_dir / f"{service}-gunicorn.log", "w")
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", str(GUNICORN_CONFIG), "--bind", f"127.0.0.1:{port}",
         app_factory_path(service)],
        env={**os.environ, "WEB_CONCURRENCY": str(workers), "GUNICORN_ACCESS_LOG": "0", **env},
        stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/health/ready", timeout=1):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError((log_dir / f"{service}-gunicorn.log").read_text()[-3000:])
                time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()
