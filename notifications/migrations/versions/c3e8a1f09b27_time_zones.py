"""time zones: a person's chosen zone, and the institution of each student in an offering's audience

Revision ID: c3e8a1f09b27
Revises: 5fcd2b5ed659
Create Date: 2026-11-30 09:00:00

Both columns are empty for rows already there: no zone chosen (the institution's applies), and an
audience member's institution is filled in by their next enrolment event (UTC is shown until then).
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = 'c3e8a1f09b27'
down_revision: Union[str, Sequence[str], None] = '5fcd2b5ed659'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table('preferences', schema=None) as batch_op:
        batch_op.add_column(sa.Column('timezone', sa.String(length=64), nullable=True))
    with op.batch_alter_table('offering_audience', schema=None) as batch_op:
        batch_op.add_column(sa.Column('institution', sa.String(length=8), nullable=True))


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('offering_audience', schema=None) as batch_op:
        batch_op.drop_column('institution')
    with op.batch_alter_table('preferences', schema=None) as batch_op:
        batch_op.drop_column('timezone')
