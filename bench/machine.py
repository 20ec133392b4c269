"""What the figures were measured on: the machine, the versions, how busy it was."""

from __future__ import annotations

import os
import platform
from importlib.metadata import version

import psycopg
from kombu import Connection

from bench.environment import AMQP_BASE_URL, POSTGRES_ADMIN_URL, WEB_WORKERS


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def postgresql_version() -> str:
    with psycopg.connect(POSTGRES_ADMIN_URL) as connection:
        return connection.execute("SHOW server_version").fetchone()[0]


def rabbitmq_version() -> str:
    with Connection(f"{AMQP_BASE_URL}/") as connection:
        connection.ensure_connection(max_retries=1)
        return str(connection.connection.server_properties["version"])


def load_average() -> str:
    return " / ".join(f"{value:.1f}" for value in os.getloadavg())


def describe_machine() -> dict[str, str]:
    """Return what a reader needs to weigh the figures, in the order to show it."""
    return {
        "CPU": f"{os.cpu_count()} cores, {cpu_model()}",
        "OS": f"{platform.system()} {platform.release()}",
        "Python": platform.python_version(),
        "PostgreSQL": postgresql_version(),
        "RabbitMQ": rabbitmq_version(),
        "Libraries": ", ".join(f"{name} {version(name)}" for name in
                               ("flask", "gunicorn", "sqlalchemy", "psycopg", "kombu", "pika", "aiohttp")),
        "gunicorn": f"services/gunicorn_conf.py, {WEB_WORKERS} sync workers, access log off (ours and baselines)",
        "load average at start (1/5/15 min)": load_average(),
    }
