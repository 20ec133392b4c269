"""seat_rules: applications for places

Revision ID: f022ad5739f5
Revises: 5ea7a11e0e01
Create Date: 2026-11-30 11:47:44.667180

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = 'f022ad5739f5'
down_revision: Union[str, Sequence[str], None] = '5ea7a11e0e01'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema: applications for places in offerings that take them."""
    op.create_table('applications',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('offering_id', sa.String(length=36), nullable=False),
    sa.Column('applicant_id', sa.String(length=64), nullable=False),
    sa.Column('applicant_role', sa.String(length=16), nullable=False),
    sa.Column('applicant_email', sa.String(length=254), nullable=False),
    sa.Column('applicant_name', sa.String(length=200), nullable=False),
    sa.Column('applicant_locale', sa.String(length=2), nullable=False),
    sa.Column('applicant_institution', sa.String(length=8), nullable=False),
    sa.Column('motivation', sa.Text(), nullable=False),
    sa.Column('proposed_starts_on', sa.Date(), nullable=True),
    sa.Column('proposed_ends_on', sa.Date(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('message', sa.Text(), nullable=True),
    sa.Column('decided_by', sa.String(length=64), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('enrolment_id', sa.String(length=36), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['enrolment_id'], ['enrolments.id'], ),
    sa.ForeignKeyConstraint(['offering_id'], ['offerings.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.create_index('ix_applications_applicant', ['applicant_id', 'created_at'], unique=False)
        batch_op.create_index('ix_applications_offering', ['offering_id', 'created_at'], unique=False)
        batch_op.create_index('uq_applications_pending_applicant', ['offering_id', 'applicant_id'], unique=True,
                              postgresql_where=sa.text("status = 'pending'"), sqlite_where=sa.text("status = 'pending'"))



def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.drop_index('uq_applications_pending_applicant', postgresql_where=sa.text("status = 'pending'"),
                            sqlite_where=sa.text("status = 'pending'"))
        batch_op.drop_index('ix_applications_offering')
        batch_op.drop_index('ix_applications_applicant')

    op.drop_table('applications')
