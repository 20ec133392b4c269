"""seat_rules: seats reserved per institution, in pools with their own counters

Revision ID: 9d4e2f1a6b80
Revises: 7b1e0c2d4f60
Create Date: 2026-11-30 16:10:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '9d4e2f1a6b80'
down_revision: Union[str, Sequence[str], None] = '7b1e0c2d4f60'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema: no offering reserves seats before pools exist, and every seat taken is an open one."""
    op.create_table(
        'seat_pools',
        sa.Column('offering_id', sa.String(length=36), nullable=False),
        sa.Column('institution', sa.String(length=8), nullable=False),
        sa.Column('seats', sa.Integer(), nullable=False),
        sa.Column('release_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('released', sa.Boolean(), nullable=False),
        sa.Column('confirmed_count', sa.Integer(), nullable=False),
        sa.Column('held_count', sa.Integer(), nullable=False),
        sa.Column('waitlisted_count', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['offering_id'], ['offerings.id']),
        sa.PrimaryKeyConstraint('offering_id', 'institution'))
    op.create_index('ix_seat_pools_due', 'seat_pools', ['released', 'release_at'], unique=False)
    with op.batch_alter_table('offerings') as batch_op:
        batch_op.add_column(sa.Column('reserved_seats', sa.Integer(), nullable=False, server_default='0'))
    with op.batch_alter_table('offerings') as batch_op:
        batch_op.alter_column('reserved_seats', server_default=None)
    with op.batch_alter_table('enrolments') as batch_op:
        batch_op.add_column(sa.Column('pool', sa.String(length=8), nullable=True))


def downgrade() -> None:
    """Downgrade schema: reserved seats become open ones."""
    with op.batch_alter_table('enrolments') as batch_op:
        batch_op.drop_column('pool')
    with op.batch_alter_table('offerings') as batch_op:
        batch_op.drop_column('reserved_seats')
    op.drop_index('ix_seat_pools_due', table_name='seat_pools')
    op.drop_table('seat_pools')
