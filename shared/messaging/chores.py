"""Time-based work a relay does between its sweeps of the outbox, so a service's clock needs no process
of its own: whatever the chore changes it commits with its events in the outbox, which the same relay
then publishes. A relay that dies leaves nothing half done (each chore's steps are transactions), and
its restart or any other relay of the service picks the work up: chores written for several relays at
once claim their rows with `FOR UPDATE SKIP LOCKED`."""

from __future__ import annotations

import logging
import time
from typing import Any, Callable, Mapping

from sqlalchemy import Select
from sqlalchemy.orm import Session

from shared.db import Database

log = logging.getLogger(__name__)


class Chore:
    """Runs `work` every `interval` seconds (after the relay's sweep that follows the interval); what the
    work returns (a count, or counts by name) is logged when it did anything."""

    def __init__(self, name: str, work: Callable[[], object], interval: float):
        self.name, self.work, self.interval = name, work, interval
        self._next_run = 0.0

    def seconds_left(self) -> float:
        """How long the idle relay may sleep before this chore is due."""
        return max(0.0, self._next_run - time.monotonic())

    def run_if_due(self) -> None:
        """Do the work if it is due; a failure is logged and tried again after the interval."""
        if time.monotonic() < self._next_run:
            return
        try:
            done = self.work()
        except Exception as exc:  # noqa: BLE001 - the chore can wait; publishing cannot
            log.warning("%s failed, trying again in %.0fs: %r", self.name, self.interval, exc)
        else:
            if any(done.values()) if isinstance(done, Mapping) else done:
                log.info("%s: %s", self.name, done)
        self._next_run = time.monotonic() + self.interval


def settle_one_at_a_time(db: Database, claim: Select, settle: Callable[[Session, Any], bool], limit: int) -> int:
    """Claim the first thing due (`claim` selects its key `FOR UPDATE SKIP LOCKED`) and settle it, each in
    a short transaction of its own, until nothing is due or after `limit` tries (to yield to the relay's
    publishing); return how many `settle` said it settled."""
    settled = 0
    for _ in range(limit):
        with db.transaction() as session:
            due = session.scalar(claim)
            if due is None:
                break
            settled += settle(session, due)
    return settled
