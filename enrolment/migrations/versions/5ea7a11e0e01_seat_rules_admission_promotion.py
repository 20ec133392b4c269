"""seat_rules: offerings' admission, promotion and offer_hours

Revision ID: 5ea7a11e0e01
Revises: a85f2c61d3e0
Create Date: 2026-11-30 12:00:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '5ea7a11e0e01'
down_revision: Union[str, Sequence[str], None] = 'a85f2c61d3e0'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

COLUMNS = (('admission', sa.String(length=16), 'first_come'), ('promotion', sa.String(length=16), 'automatic'),
           ('offer_hours', sa.Integer(), '48'))


def upgrade() -> None:
    """Upgrade schema: existing offerings keep today's rules (first come, automatic promotion)."""
    with op.batch_alter_table('offerings') as batch_op:
        for name, type_, default in COLUMNS:
            batch_op.add_column(sa.Column(name, type_, nullable=False, server_default=default))
    with op.batch_alter_table('offerings') as batch_op:
        for name, _type, _default in COLUMNS:
            batch_op.alter_column(name, server_default=None)


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('offerings') as batch_op:
        for name, _type, _default in reversed(COLUMNS):
            batch_op.drop_column(name)
