"""seat_rules: seats held by open offers, shown with an offering's seats

Revision ID: 8c2f1d3e5a70
Revises: 5e2a7c9d1b38
Create Date: 2026-11-30 15:00:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '8c2f1d3e5a70'
down_revision: Union[str, Sequence[str], None] = '5e2a7c9d1b38'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema: no offer is open before offers exist."""
    with op.batch_alter_table('offerings') as batch_op:
        batch_op.add_column(sa.Column('seats_held', sa.Integer(), nullable=False, server_default='0'))
    with op.batch_alter_table('offerings') as batch_op:
        batch_op.alter_column('seats_held', server_default=None)


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('offerings') as batch_op:
        batch_op.drop_column('seats_held')
