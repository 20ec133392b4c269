"""initial schema

Revision ID: 263871fd5031
Revises: 
Create Date: 2026-11-26 01:04:21.720738

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

from shared.messaging_schema import create_messaging_tables_v1, drop_messaging_tables_v1


# revision identifiers, used by Alembic.
revision: str = '263871fd5031'
down_revision: Union[str, Sequence[str], None] = None
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    create_messaging_tables_v1()
    op.create_table('offerings',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('course_id', sa.String(length=36), nullable=False),
    sa.Column('course_code', sa.String(length=32), nullable=False),
    sa.Column('course_title', sa.JSON(), nullable=False),
    sa.Column('course_status', sa.String(length=16), nullable=False),
    sa.Column('course_version', sa.Integer(), nullable=False),
    sa.Column('institution', sa.String(length=8), nullable=False),
    sa.Column('coordinators', sa.JSON(), nullable=False),
    sa.Column('term', sa.String(length=16), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('location', sa.Text(), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=False),
    sa.Column('waitlist', sa.Boolean(), nullable=False),
    sa.Column('enrolment_opens_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('enrolment_closes_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('confirmed_count', sa.Integer(), nullable=False),
    sa.Column('waitlisted_count', sa.Integer(), nullable=False),
    sa.Column('seats_revision', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('offerings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_offerings_course_id'), ['course_id'], unique=False)



def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('offerings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_offerings_course_id'))

    op.drop_table('offerings')
    drop_messaging_tables_v1()
