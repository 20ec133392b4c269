"""outbox wakes the relay: on PostgreSQL, a NOTIFY on the outbox channel when outbox rows are committed

Revision ID: d52b7f0c9e13
Revises: f2b9d7c4e816
Create Date: 2026-11-30 12:00:00
"""
from typing import Sequence, Union

from shared.messaging.tables import create_outbox_wakeup_v3, drop_outbox_wakeup_v3

revision: str = 'd52b7f0c9e13'
down_revision: Union[str, Sequence[str], None] = 'f2b9d7c4e816'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    create_outbox_wakeup_v3()


def downgrade() -> None:
    """Downgrade schema."""
    drop_outbox_wakeup_v3()
