"""seat_rules: offerings' seats reserved per institution, and their pools' live counts

Revision ID: 9d4e2f1a6c81
Revises: 8c2f1d3e5a70
Create Date: 2026-11-30 16:10:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '9d4e2f1a6c81'
down_revision: Union[str, Sequence[str], None] = '8c2f1d3e5a70'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

COLUMNS = ('reserved', 'seats_reserved')


def upgrade() -> None:
    """Upgrade schema: existing offerings reserve no seats."""
    with op.batch_alter_table('offerings') as batch_op:
        for name in COLUMNS:
            batch_op.add_column(sa.Column(name, sa.JSON(), nullable=False, server_default='[]'))
    with op.batch_alter_table('offerings') as batch_op:
        for name in COLUMNS:
            batch_op.alter_column(name, server_default=None)


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('offerings') as batch_op:
        for name in reversed(COLUMNS):
            batch_op.drop_column(name)
