"""Retention: published outbox rows, inbox ids, idempotency keys and sent email bodies go after their
period, in small batches that neither wait for nor block the rows others are writing."""

import threading
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, insert, select

from enrolment.models import IdempotentRequest
from notifications.models import EmailDelivery, Notification
from services.__main__ import main
from services.registry import retention_rules
from shared.config import ConfigError, Settings
from shared.db import Database, utcnow
from shared.messaging.inbox import InboxMessage
from shared.messaging.outbox import OutboxMessage
from shared.messaging.relay import Relay
from shared.messaging.retention import Pruner
from shared.messaging.connection import connect
from shared.migrations import upgrade
from tests.support.environment import make_settings, wait_for

OLD, RECENT = utcnow() - timedelta(days=40), utcnow() - timedelta(days=1)


def outbox_row(created_at, published_at):
    return {"event_id": str(uuid.uuid4()), "event_type": "enrolment.seats_changed", "body": "{}",
            "created_at": created_at, "published_at": published_at, "attempts": 0}


def inbox_row(handled_at):
    return {"event_id": str(uuid.uuid4()), "event_type": "enrolment.seats_changed", "producer": "enrolment",
            "handled_at": handled_at}


def fill(db: Database, model, rows) -> None:
    with db.transaction() as session:
        session.execute(insert(model), rows)


def count(db: Database, model, *where) -> int:
    with db.reading() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where))


@pytest.fixture
def enrolment(tmp_path, postgres_url):
    settings = make_settings("enrolment", tmp_path, postgres_url)
    upgrade("enrolment", postgres_url)
    db = Database(postgres_url)
    yield settings, db
    db.dispose()


@pytest.mark.postgres
def test_expired_rows_go_in_batches_and_everything_else_stays(enrolment):
    settings, db = enrolment
    fill(db, OutboxMessage, [outbox_row(OLD, OLD) for _ in range(7)] + [outbox_row(OLD, None), outbox_row(RECENT, RECENT)])
    fill(db, InboxMessage, [inbox_row(OLD) for _ in range(5)] + [inbox_row(RECENT)])
    fill(db, IdempotentRequest, [{"student_id": "s", "key": key, "fingerprint": "f", "created_at": created_at}
                                 for key, created_at in (("old", utcnow() - timedelta(hours=25)),
                                                         ("new", utcnow() - timedelta(hours=23)))])

    pruned = Pruner(db, retention_rules(settings), batch_size=3).prune_all()

    assert pruned == {"published outbox rows": 7, "inbox ids": 5, "idempotency keys": 1}
    assert count(db, OutboxMessage) == 2  # the pending one is kept, however old, until it is published
    assert count(db, OutboxMessage, OutboxMessage.published_at.is_(None)) == 1
    assert count(db, InboxMessage) == 1
    with db.reading() as session:
        assert session.scalars(select(IdempotentRequest.key)).all() == ["new"]


@pytest.mark.postgres
def test_pruning_skips_rows_another_transaction_holds_instead_of_waiting(enrolment):
    settings, db = enrolment
    fill(db, OutboxMessage, [outbox_row(OLD, OLD) for _ in range(4)])
    with db.transaction() as holder:
        held = holder.scalars(select(OutboxMessage).order_by(OutboxMessage.id).limit(1).with_for_update()).one()
        pruned = Pruner(db, retention_rules(settings), batch_size=10).prune_all()
        assert pruned["published outbox rows"] == 3
        holder.delete(held)  # still ours to change: pruning never touched it
    assert count(db, OutboxMessage) == 0


@pytest.mark.postgres
def test_sent_email_bodies_are_emptied_after_their_period_and_the_inbox_keeps_its_messages(tmp_path,
                                                                                           postgres_url):
    settings = make_settings("notifications", tmp_path, postgres_url)
    upgrade("notifications", postgres_url)
    db = Database(postgres_url)
    with db.transaction() as session:
        for sent_at, status in ((OLD, "sent"), (RECENT, "sent"), (None, "pending")):
            notification = Notification(user_id="u", event_id=str(uuid.uuid4()), kind="confirmed", locale="en",
                                        subject="s", body="the inbox text")
            session.add(EmailDelivery(notification=notification, to_address="u@example.org", to_name="U",
                                      html="<p>body</p>", status=status, sent_at=sent_at))
    assert Pruner(db, retention_rules(settings)).prune_all()["sent email bodies"] == 1
    assert count(db, EmailDelivery, EmailDelivery.html == "") == 1
    assert count(db, Notification, Notification.body == "the inbox text") == 3
    db.dispose()


def test_the_relay_prunes_between_its_sweeps(enrolment_db, tmp_path):
    settings = make_settings("enrolment", tmp_path)
    fill(enrolment_db, OutboxMessage, [outbox_row(OLD, OLD) for _ in range(5)])
    stop = threading.Event()
    relay = Relay(enrolment_db, connect(settings), service="enrolment",
                  pruner=Pruner(enrolment_db, retention_rules(settings), batch_size=2))
    thread = threading.Thread(target=relay.run, args=(stop,), daemon=True)
    thread.start()
    try:
        wait_for(lambda: count(enrolment_db, OutboxMessage) == 0)
    finally:
        stop.set()
        thread.join(timeout=10)


def test_the_prune_command_says_what_it_pruned(enrolment_db, tmp_path, monkeypatch, capsys):
    fill(enrolment_db, OutboxMessage, [outbox_row(OLD, OLD)])
    monkeypatch.setenv("ENROLMENT_DATABASE_URL", enrolment_db.url)
    monkeypatch.setenv("OUTBOX_RETENTION_DAYS", "30")
    assert main(["prune", "enrolment"]) == 0
    assert "published outbox rows" in capsys.readouterr().out
    assert count(enrolment_db, OutboxMessage) == 0


@pytest.mark.parametrize("variable, value", [("OUTBOX_RETENTION_DAYS", "0"), ("INBOX_RETENTION_DAYS", "nan"),
                                             ("IDEMPOTENCY_RETENTION_HOURS", "inf"),
                                             ("SENT_EMAIL_RETENTION_DAYS", "-1"), ("RETENTION_BATCH_SIZE", "0"),
                                             ("RETENTION_INTERVAL_SECONDS", "soon")])
def test_a_retention_setting_that_makes_no_sense_is_refused(variable, value):
    with pytest.raises(ConfigError):
        Settings.from_env("enrolment", {variable: value})
