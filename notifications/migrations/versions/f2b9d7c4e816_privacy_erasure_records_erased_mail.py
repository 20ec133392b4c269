"""privacy: erasure records, erased people's mail files to remove, and age indexes for retention

Revision ID: f2b9d7c4e816
Revises: c3e8a1f09b27
Create Date: 2026-11-30 12:00:00

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

from shared.messaging.tables import create_privacy_tables_v2, drop_privacy_tables_v2

revision: str = 'f2b9d7c4e816'
down_revision: Union[str, Sequence[str], None] = 'c3e8a1f09b27'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    create_privacy_tables_v2()
    op.create_table('erased_mail',
    sa.Column('notification_id', sa.String(length=36), nullable=False),
    sa.Column('erasure_id', sa.String(length=36), nullable=False),
    sa.PrimaryKeyConstraint('notification_id')
    )
    op.create_index('ix_erased_mail_erasure_id', 'erased_mail', ['erasure_id'], unique=False)
    op.create_index('ix_email_deliveries_sent_at', 'email_deliveries', ['sent_at'], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index('ix_email_deliveries_sent_at', table_name='email_deliveries')
    op.drop_index('ix_erased_mail_erasure_id', table_name='erased_mail')
    op.drop_table('erased_mail')
    drop_privacy_tables_v2()
