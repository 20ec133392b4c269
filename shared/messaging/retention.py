"""Retention: what is only kept for a while is deleted in small batches, beside the hot path.

Each batch is a short transaction of its own that claims its rows with `FOR UPDATE SKIP LOCKED`, so
pruning never waits for, nor blocks, the requests, relays and consumers writing the same tables; a
million old rows go in thousands of short steps, not one long lock, paced to take at most a tenth of
the time. The relay interleaves the steps with its sweeps (`Pruner.step`); `python -m services prune`
runs them until nothing expired is left.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Mapping, Sequence

from sqlalchemy import ColumnElement, Table, delete, select, true, tuple_, update

from shared.db import Database, utcnow
from shared.messaging.inbox import InboxMessage
from shared.messaging.outbox import OutboxMessage

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RetentionRule:
    """Rows of `table` whose `age` column is older than `keep` are deleted, or with `clear` have
    those columns emptied instead (the row stays, its content goes). Batches take the oldest first by
    `oldest_first` (an indexed column in the order of age; `age` itself by default)."""

    name: str
    table: Table
    age: ColumnElement
    keep: timedelta
    where: ColumnElement = field(default_factory=true)
    clear: Mapping[str, Any] | None = None
    oldest_first: ColumnElement | None = None


def messaging_rules(outbox_days: float, inbox_days: float) -> list[RetentionRule]:
    """Published outbox rows and inbox ids, in every service's database. Pending outbox rows stay
    until published, however old."""
    return [
        # The outbox's key grows with time: walking it needs no index on published_at, which every
        # enrolment would otherwise pay for.
        RetentionRule("published outbox rows", OutboxMessage.__table__, OutboxMessage.published_at,
                      timedelta(days=outbox_days), OutboxMessage.published_at.is_not(None),
                      oldest_first=OutboxMessage.id),
        RetentionRule("inbox ids", InboxMessage.__table__, InboxMessage.handled_at, timedelta(days=inbox_days)),
    ]


def prune_batch(db: Database, rule: RetentionRule, batch_size: int) -> int:
    """Delete (or clear) one batch of the rule's expired rows, oldest first; return how many."""
    key = tuple_(*rule.table.primary_key.columns)
    with db.transaction() as session:
        expired = select(*rule.table.primary_key.columns).where(rule.age < utcnow() - rule.keep, rule.where)
        if rule.clear:
            expired = expired.where(*(rule.table.c[name] != value for name, value in rule.clear.items()))
        claimed = session.execute(expired.order_by(rule.oldest_first if rule.oldest_first is not None else rule.age)
                                  .limit(batch_size)
                                  .with_for_update(skip_locked=True)).all()
        if not claimed:
            return 0
        statement = (update(rule.table).values(**rule.clear) if rule.clear else delete(rule.table))
        session.execute(statement.where(key.in_([tuple(row) for row in claimed])))
        return len(claimed)


class Pruner:
    """Prunes a service's rules one batch at a time, round robin, resting between batches so that
    pruning takes at most `share` of the time: a backlog of a million rows drains over minutes
    instead of competing with the requests for the database."""

    def __init__(self, db: Database, rules: Sequence[RetentionRule], batch_size: int = 500, share: float = 0.1):
        self.db, self.rules, self.batch_size, self.share = db, list(rules), batch_size, share
        self.pruned = dict.fromkeys((rule.name for rule in self.rules), 0)
        self._pending = list(self.rules)
        self._turn = itertools.count()

    def step(self) -> float | None:
        """Prune one batch; return how long to rest before the next, or None once a round found
        nothing left to prune (the next step starts a new round)."""
        if not self._pending:
            self._pending = list(self.rules)
            log.info("retention: nothing more has expired; pruned since start: %s", self.pruned)
            return None
        rule = self._pending[next(self._turn) % len(self._pending)]
        started = time.monotonic()
        count = prune_batch(self.db, rule, self.batch_size)
        self.pruned[rule.name] += count
        if count < self.batch_size:
            self._pending.remove(rule)
        return (time.monotonic() - started) * (1 / self.share - 1)

    def prune_all(self, stop: threading.Event | None = None) -> dict[str, int]:
        """Prune every rule until nothing has expired (or `stop` is set); return how many rows each pruned."""
        stop = stop or threading.Event()
        while (rest := self.step()) is not None and not stop.wait(rest):
            pass
        return self.pruned
