"""How an idle relay waits for new outbox rows: woken by PostgreSQL when they are committed, or by
its clock on SQLite (which has no notifications) and as a safety net on PostgreSQL."""

from __future__ import annotations

import logging
import threading

import psycopg

from shared.db import Database
from shared.messaging.tables import OUTBOX_CHANNEL

log = logging.getLogger(__name__)

# The idle relay's sweep: often on SQLite, where it is the only way to notice new rows; less often on
# PostgreSQL, where it only catches a notification lost with a broken listening connection (and lets
# the relay answer the broker's heartbeats and a stop request meanwhile).
POLL_SECONDS = 0.1
SAFETY_SWEEP_SECONDS = 0.5


class OutboxWakeup:
    """Waits until the outbox may hold new rows. On PostgreSQL it LISTENs on a connection of its own
    (outside the pool: it stays open and idle), which the outbox's trigger notifies on commit."""

    def __init__(self, db: Database, application_name: str = "relay-listener"):
        self.listens = db.is_postgresql
        self._conninfo = db.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        self._application_name = application_name
        self._connection: psycopg.Connection | None = None

    def start(self) -> None:
        """LISTEN now, before the first sweep, so a row committed during that sweep still wakes us."""
        if self.listens and self._connection is None:
            try:
                self._connection = psycopg.connect(self._conninfo, autocommit=True,
                                                   application_name=self._application_name)
                self._connection.execute(f"LISTEN {OUTBOX_CHANNEL}")
            except psycopg.Error as exc:
                log.warning("cannot listen for outbox notifications, sweeping on the clock: %r", exc)
                self.close()

    def wait(self, stop: threading.Event, poll_seconds: float = POLL_SECONDS, at_most: float | None = None) -> None:
        """Return when notified of a commit or when the safety sweep is due; without notifications,
        after `poll_seconds` or when `stop` is set; in any case after `at_most` seconds, if given."""
        self.start()
        if self._connection is None:
            stop.wait(poll_seconds if at_most is None else min(poll_seconds, at_most))
            return
        try:
            timeout = SAFETY_SWEEP_SECONDS if at_most is None else min(SAFETY_SWEEP_SECONDS, at_most)
            if any(True for _ in self._connection.notifies(timeout=timeout, stop_after=1)):
                self._drain()
        except psycopg.Error as exc:  # the server restarted or dropped us: listen again next time
            log.info("outbox listener lost: %r", exc)
            self.close()

    def close(self) -> None:
        if self._connection is not None:
            try:
                self._connection.close()
            except psycopg.Error:  # closing a broken connection may fail; we drop it anyway
                pass
            self._connection = None

    def _drain(self) -> None:
        """Consume notifications already queued: the sweep about to run covers them all."""
        for _ in self._connection.notifies(timeout=0):
            pass
