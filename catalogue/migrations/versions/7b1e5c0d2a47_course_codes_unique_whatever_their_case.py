"""course codes unique per institution whatever their case

Revision ID: 7b1e5c0d2a47
Revises: 3dc48066a904
Create Date: 2026-11-30 08:40:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '7b1e5c0d2a47'
down_revision: Union[str, Sequence[str], None] = '3dc48066a904'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema: a lower-case copy of each code, unique per institution (fails if two codes of one
    institution already differ only in case: rename one first)."""
    with op.batch_alter_table('courses') as batch_op:
        batch_op.add_column(sa.Column('code_key', sa.String(length=32), nullable=True))
    op.execute('UPDATE courses SET code_key = lower(code)')
    with op.batch_alter_table('courses') as batch_op:
        batch_op.alter_column('code_key', existing_type=sa.String(length=32), nullable=False)
        batch_op.create_unique_constraint('uq_courses_institution_code_key', ['institution', 'code_key'])


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('courses') as batch_op:
        batch_op.drop_constraint('uq_courses_institution_code_key', type_='unique')
        batch_op.drop_column('code_key')
