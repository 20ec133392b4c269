"""Many requests at once against one offering served by enrolment under gunicorn on PostgreSQL."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Iterator

import httpx

from enrolment.replica import apply_offering_snapshot
from shared.db import Database
from shared.events.catalogue import OfferingSnapshot
from shared.migrations import upgrade
from tests.support.payloads import offering_snapshot
from tests.support.servers import gunicorn


@contextmanager
def served_offering(postgres_url: str, tmp_path, **offering) -> Iterator[tuple[Database, str, str]]:
    """Start enrolment on a database holding one offering; yield (database, service URL, offering id)."""
    upgrade("enrolment", postgres_url)
    db = Database(postgres_url)
    snapshot = offering_snapshot(**offering)
    with db.transaction() as session:
        apply_offering_snapshot(session, OfferingSnapshot.model_validate(snapshot))
    try:
        with gunicorn("enrolment", {"ENROLMENT_DATABASE_URL": postgres_url, "DATA_DIR": str(tmp_path)},
                      tmp_path) as url:
            yield db, url, snapshot["offering_id"]
    finally:
        db.dispose()


def post_all(url: str, requests: list[tuple[str, dict, dict]], threads: int = 40) -> list[httpx.Response]:
    """Send (path, body, headers) requests all at once; return the answers in order."""
    with httpx.Client(base_url=url, timeout=60) as client, ThreadPoolExecutor(max_workers=threads) as pool:
        return list(pool.map(lambda r: client.post(r[0], json=r[1], headers=r[2]), requests))
