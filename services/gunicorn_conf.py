"""gunicorn settings for the three web services (docker-compose and the launcher use this file).

Web processes only write the outbox; they never open broker connections, so forking is safe.
No preload_app: each worker builds its own app and database pool after the fork (the master only
imports the modules, in on_starting).
"""

import gc
import importlib
import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", min(multiprocessing.cpu_count() * 2 + 1, 8)))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 20
# No limit of gunicorn's own on the request line: its refusal would be a bare HTML 414, while the app
# refuses any address over MAX_URL_LENGTH (4096) itself, as problem+json. In containers the reverse
# proxy caps request lines at 8 KiB before they get here (deploy/nginx/default.conf).
limit_request_line = 0
keepalive = 5
preload_app = False
# gunicorn 27's control socket is one path in the home folder, which every master on a host would share;
# nothing here uses it (gunicornc), and a master stopping waited seconds for it.
control_socket_disable = True
accesslog = "-" if os.environ.get("GUNICORN_ACCESS_LOG", "1") == "1" else None
access_log_format = (
    '{"time": "%(t)s", "remote": "%(h)s", "method": "%(m)s", "path": "%(U)s", "query": "%(q)s", '
    '"status": %(s)s, "bytes": "%(B)s", "duration_us": %(D)s, '
    '"correlation_id": "%({x-correlation-id}o)s"}'
)
errorlog = "-"


def on_starting(server):
    """Start Prometheus' multiprocess files afresh, so /metrics sums only this run's workers; then import
    the app's modules (without building the app), so that every worker forks with them loaded: workers
    are ready in a fraction of the time (four importing at once on two cores took eight seconds) and
    share those pages."""
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if folder:
        import shutil

        shutil.rmtree(folder, ignore_errors=True)
        os.makedirs(folder, exist_ok=True)
    importlib.import_module(server.app.app_uri.partition(":")[0])
    gc.freeze()  # what the workers inherit is never collected: no copy-on-write, and no long collection at exit


def child_exit(server, worker):
    """Drop a dead worker's live gauges from the shared Prometheus files."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
