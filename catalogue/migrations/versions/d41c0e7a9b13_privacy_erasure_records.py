"""privacy: erasure records, and the inbox indexed by age for retention

Revision ID: d41c0e7a9b13
Revises: b7d1c2e4f5a6
Create Date: 2026-11-30 12:00:00

"""
from typing import Sequence, Union

from shared.messaging.tables import create_privacy_tables_v2, drop_privacy_tables_v2

revision: str = 'd41c0e7a9b13'
down_revision: Union[str, Sequence[str], None] = 'b7d1c2e4f5a6'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    create_privacy_tables_v2()


def downgrade() -> None:
    """Downgrade schema."""
    drop_privacy_tables_v2()
