"""courses offerings topics coordinators history

Revision ID: 3dc48066a904
Revises: 
Create Date: 2026-11-26 01:19:06.598969

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

from shared.messaging.tables import create_messaging_tables_v1, drop_messaging_tables_v1


# revision identifiers, used by Alembic.
revision: str = '3dc48066a904'
down_revision: Union[str, Sequence[str], None] = None
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    create_messaging_tables_v1()
    op.create_table('courses',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('institution', sa.String(length=8), nullable=False),
    sa.Column('title', sa.JSON(), nullable=False),
    sa.Column('description', sa.JSON(), nullable=False),
    sa.Column('ects', sa.Numeric(precision=4, scale=1), nullable=False),
    sa.Column('level', sa.String(length=16), nullable=False),
    sa.Column('language', sa.String(length=35), nullable=False),
    sa.Column('isced', sa.String(length=4), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('search_text', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('institution', 'code', name='uq_courses_institution_code')
    )
    with op.batch_alter_table('courses', schema=None) as batch_op:
        batch_op.create_index('ix_courses_feed', ['updated_at', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_courses_institution'), ['institution'], unique=False)
        batch_op.create_index(batch_op.f('ix_courses_status'), ['status'], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        # Trigram index for substring search; pg_trgm is a trusted extension (PostgreSQL 13+).
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.create_index('ix_courses_search_trgm', 'courses', ['search_text'], unique=False,
                        postgresql_using='gin', postgresql_ops={'search_text': 'gin_trgm_ops'})

    op.create_table('course_coordinators',
    sa.Column('course_id', sa.String(length=36), nullable=False),
    sa.Column('value', sa.String(length=64), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['course_id'], ['courses.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('course_id', 'value')
    )
    with op.batch_alter_table('course_coordinators', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_course_coordinators_value'), ['value'], unique=False)

    op.create_table('course_revisions',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('course_id', sa.String(length=36), nullable=False),
    sa.Column('offering_id', sa.String(length=36), nullable=True),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('changes', sa.JSON(), nullable=False),
    sa.Column('actor_id', sa.String(length=64), nullable=False),
    sa.Column('actor_name', sa.String(length=200), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['course_id'], ['courses.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('course_revisions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_course_revisions_course_id'), ['course_id'], unique=False)

    op.create_table('course_topics',
    sa.Column('course_id', sa.String(length=36), nullable=False),
    sa.Column('value', sa.String(length=64), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['course_id'], ['courses.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('course_id', 'value')
    )
    with op.batch_alter_table('course_topics', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_course_topics_value'), ['value'], unique=False)

    op.create_table('offerings',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('course_id', sa.String(length=36), nullable=False),
    sa.Column('term', sa.String(length=16), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('enrolment_opens_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('enrolment_closes_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=False),
    sa.Column('waitlist', sa.Boolean(), nullable=False),
    sa.Column('location', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('cancel_reason', sa.Text(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('seats_confirmed', sa.Integer(), nullable=False),
    sa.Column('seats_waitlisted', sa.Integer(), nullable=False),
    sa.Column('seats_revision', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['course_id'], ['courses.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('offerings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_offerings_course_id'), ['course_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_offerings_term'), ['term'], unique=False)



def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('offerings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_offerings_term'))
        batch_op.drop_index(batch_op.f('ix_offerings_course_id'))

    op.drop_table('offerings')
    with op.batch_alter_table('course_topics', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_course_topics_value'))

    op.drop_table('course_topics')
    with op.batch_alter_table('course_revisions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_course_revisions_course_id'))

    op.drop_table('course_revisions')
    with op.batch_alter_table('course_coordinators', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_course_coordinators_value'))

    op.drop_table('course_coordinators')
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index('ix_courses_search_trgm', table_name='courses')
    with op.batch_alter_table('courses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_courses_status'))
        batch_op.drop_index(batch_op.f('ix_courses_institution'))
        batch_op.drop_index('ix_courses_feed')

    op.drop_table('courses')
    drop_messaging_tables_v1()
