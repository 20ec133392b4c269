"""seat_rules: waiting-list offers that expire

Revision ID: 7b1e0c2d4f60
Revises: 8a3d5e1b2c47
Create Date: 2026-11-30 15:00:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '7b1e0c2d4f60'
down_revision: Union[str, Sequence[str], None] = '8a3d5e1b2c47'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

WAS_ACTIVE = sa.text("status IN ('confirmed', 'waitlisted')")
ACTIVE = sa.text("status IN ('confirmed', 'offered', 'waitlisted')")
OFFER_COLUMNS = ('offer_expires_at', 'remind_at', 'reminded_at')


def upgrade() -> None:
    """Upgrade schema: seats held by open offers, the offer's deadline and reminder, and an offered student
    counted as active (one active enrolment per student and offering)."""
    with op.batch_alter_table('offerings') as batch_op:
        batch_op.add_column(sa.Column('held_count', sa.Integer(), nullable=False, server_default='0'))
    with op.batch_alter_table('offerings') as batch_op:
        batch_op.alter_column('held_count', server_default=None)
    with op.batch_alter_table('enrolments') as batch_op:
        for name in OFFER_COLUMNS:
            batch_op.add_column(sa.Column(name, sa.DateTime(timezone=True), nullable=True))
        batch_op.drop_index('uq_enrolments_active_student', postgresql_where=WAS_ACTIVE, sqlite_where=WAS_ACTIVE)
        batch_op.create_index('uq_enrolments_active_student', ['offering_id', 'student_id'], unique=True,
                              postgresql_where=ACTIVE, sqlite_where=ACTIVE)
        batch_op.create_index('ix_enrolments_offer_deadline', ['status', 'offer_expires_at'], unique=False)


def downgrade() -> None:
    """Downgrade schema: open offers go back to the head of the waiting list they came from."""
    op.execute("UPDATE enrolments SET status = 'waitlisted' WHERE status = 'offered'")
    op.execute("UPDATE enrolments SET status = 'cancelled' WHERE status = 'expired'")
    op.execute("UPDATE offerings SET waitlisted_count = waitlisted_count + held_count")
    with op.batch_alter_table('enrolments') as batch_op:
        batch_op.drop_index('ix_enrolments_offer_deadline')
        batch_op.drop_index('uq_enrolments_active_student', postgresql_where=ACTIVE, sqlite_where=ACTIVE)
        batch_op.create_index('uq_enrolments_active_student', ['offering_id', 'student_id'], unique=True,
                              postgresql_where=WAS_ACTIVE, sqlite_where=WAS_ACTIVE)
        for name in reversed(OFFER_COLUMNS):
            batch_op.drop_column(name)
    with op.batch_alter_table('offerings') as batch_op:
        batch_op.drop_column('held_count')
