"""initial schema

Revision ID: a0999f6ea860
Revises: 
Create Date: 2026-11-26 01:04:22.456769

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

from shared.messaging_schema import create_messaging_tables_v1, drop_messaging_tables_v1


# revision identifiers, used by Alembic.
revision: str = 'a0999f6ea860'
down_revision: Union[str, Sequence[str], None] = None
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    create_messaging_tables_v1()
    op.create_table('preferences',
    sa.Column('user_id', sa.String(length=64), nullable=False),
    sa.Column('locale', sa.String(length=2), nullable=False),
    sa.Column('email', sa.Boolean(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('user_id')
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table('preferences')
    drop_messaging_tables_v1()
