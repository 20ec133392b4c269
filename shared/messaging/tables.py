"""Frozen migration steps of the outbox and inbox tables, which every service's database holds.

Each service's migration history calls these steps, so the tables are described once. A later
change to the tables becomes a new step here, called from a new migration of every service.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

PENDING = sa.text("published_at IS NULL")


def create_messaging_tables_v1() -> None:
    """Create the inbox and the outbox with its index of pending rows."""
    op.create_table(
        "inbox",
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("event_type", sa.String(length=100), nullable=False),
        sa.Column("producer", sa.String(length=40), nullable=False),
        sa.Column("handled_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("event_id"),
    )
    op.create_table(
        "outbox",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True,
                  nullable=False),
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("event_type", sa.String(length=100), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("correlation_id", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("event_id"),
    )
    op.create_index("ix_outbox_pending", "outbox", ["id"], unique=False,
                    postgresql_where=PENDING, sqlite_where=PENDING)


def drop_messaging_tables_v1() -> None:
    op.drop_index("ix_outbox_pending", table_name="outbox", postgresql_where=PENDING, sqlite_where=PENDING)
    op.drop_table("outbox")
    op.drop_table("inbox")


def create_privacy_tables_v2() -> None:
    """Create the erasure records, and index the inbox by age so retention prunes it in small batches."""
    op.create_table(
        "erasures",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("subject_hash", sa.String(length=64), nullable=False),
        sa.Column("requested_by", sa.String(length=16), nullable=False),
        sa.Column("erased_as_of", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_erasures_subject_hash", "erasures", ["subject_hash"], unique=False)
    op.create_index("ix_inbox_handled_at", "inbox", ["handled_at"], unique=False)


def drop_privacy_tables_v2() -> None:
    op.drop_index("ix_inbox_handled_at", table_name="inbox")
    op.drop_index("ix_erasures_subject_hash", table_name="erasures")
    op.drop_table("erasures")


# The channel a relay LISTENs on; the trigger below notifies it when outbox rows are committed.
OUTBOX_CHANNEL = "outbox"


def create_outbox_wakeup_v3() -> None:
    """On PostgreSQL, NOTIFY the outbox channel from every statement inserting outbox rows.

    A notification is delivered only when its transaction commits, so the relay wakes exactly when
    there is something it can claim; several inserts in one transaction make one notification.
    (SQLite has no notifications: its relay keeps polling.)
    """
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"""
        CREATE FUNCTION outbox_wakeup() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify('{OUTBOX_CHANNEL}', '');
            RETURN NULL;
        END $$""")
    op.execute("CREATE TRIGGER outbox_wakeup AFTER INSERT ON outbox "
               "FOR EACH STATEMENT EXECUTE FUNCTION outbox_wakeup()")


def drop_outbox_wakeup_v3() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER outbox_wakeup ON outbox")
    op.execute("DROP FUNCTION outbox_wakeup()")
