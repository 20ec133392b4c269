"""privacy: erasure records, and the inbox and idempotency keys indexed by age for retention

Revision ID: a85f2c61d3e0
Revises: e9fe2f4aae6a
Create Date: 2026-11-30 12:00:00

"""
from typing import Sequence, Union

from alembic import op

from shared.messaging.tables import create_privacy_tables_v2, drop_privacy_tables_v2

revision: str = 'a85f2c61d3e0'
down_revision: Union[str, Sequence[str], None] = 'e9fe2f4aae6a'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    create_privacy_tables_v2()
    op.create_index('ix_idempotent_requests_created_at', 'idempotent_requests', ['created_at'], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index('ix_idempotent_requests_created_at', table_name='idempotent_requests')
    drop_privacy_tables_v2()
