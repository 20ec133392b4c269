"""offerings replica, enrolments, idempotent requests

Revision ID: e9fe2f4aae6a
Revises: 
Create Date: 2026-11-26 01:25:18.748420

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

from shared.messaging.tables import create_messaging_tables_v1, drop_messaging_tables_v1


# revision identifiers, used by Alembic.
revision: str = 'e9fe2f4aae6a'
down_revision: Union[str, Sequence[str], None] = None
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    create_messaging_tables_v1()
    op.create_table('courses',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('title', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('coordinators', sa.JSON(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('idempotent_requests',
    sa.Column('student_id', sa.String(length=64), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('status_code', sa.Integer(), nullable=True),
    sa.Column('response', sa.JSON(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('student_id', 'key')
    )
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
    sa.Column('cancel_reason', sa.Text(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('confirmed_count', sa.Integer(), nullable=False),
    sa.Column('waitlisted_count', sa.Integer(), nullable=False),
    sa.Column('seats_revision', sa.Integer(), nullable=False),
    sa.Column('last_waitlist_ticket', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('offerings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_offerings_course_id'), ['course_id'], unique=False)

    op.create_table('enrolments',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('offering_id', sa.String(length=36), nullable=False),
    sa.Column('student_id', sa.String(length=64), nullable=False),
    sa.Column('student_email', sa.String(length=254), nullable=False),
    sa.Column('student_name', sa.String(length=200), nullable=False),
    sa.Column('student_locale', sa.String(length=2), nullable=False),
    sa.Column('student_institution', sa.String(length=8), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('waitlist_ticket', sa.Integer(), nullable=True),
    sa.Column('cancelled_by', sa.String(length=32), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['offering_id'], ['offerings.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('enrolments', schema=None) as batch_op:
        batch_op.create_index('ix_enrolments_student', ['student_id', 'created_at'], unique=False)
        batch_op.create_index('ix_enrolments_waiting_list', ['offering_id', 'status', 'waitlist_ticket'], unique=False)
        batch_op.create_index('uq_enrolments_active_student', ['offering_id', 'student_id'], unique=True, postgresql_where=sa.text("status IN ('confirmed', 'waitlisted')"), sqlite_where=sa.text("status IN ('confirmed', 'waitlisted')"))



def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('enrolments', schema=None) as batch_op:
        batch_op.drop_index('uq_enrolments_active_student', postgresql_where=sa.text("status IN ('confirmed', 'waitlisted')"), sqlite_where=sa.text("status IN ('confirmed', 'waitlisted')"))
        batch_op.drop_index('ix_enrolments_waiting_list')
        batch_op.drop_index('ix_enrolments_student')

    op.drop_table('enrolments')
    with op.batch_alter_table('offerings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_offerings_course_id'))

    op.drop_table('offerings')
    op.drop_table('idempotent_requests')
    op.drop_table('courses')
    drop_messaging_tables_v1()
