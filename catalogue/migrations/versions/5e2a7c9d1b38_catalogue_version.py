"""catalogue version: a counter of committed catalogue changes, bumped by a trigger on the outbox

Revision ID: 5e2a7c9d1b38
Revises: 4c1f0a9e7d21
Create Date: 2026-11-30 12:20:00

Every change the catalogue's readers can see records an event in the outbox in its own transaction,
so a trigger on the outbox counts them all; the row lock orders concurrent writers (rare here), and a
reader sees the count of what is committed.
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = '5e2a7c9d1b38'
down_revision: Union[str, Sequence[str], None] = '4c1f0a9e7d21'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

BUMP = "UPDATE catalogue_version SET version = version + 1 WHERE id = 1"


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('catalogue_version',
                    sa.Column('id', sa.Integer(), nullable=False),
                    sa.Column('version', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
                    sa.PrimaryKeyConstraint('id'))
    op.execute("INSERT INTO catalogue_version (id, version) VALUES (1, 1)")
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"""
            CREATE FUNCTION catalogue_version_bump() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                {BUMP};
                RETURN NULL;
            END $$""")
        op.execute("CREATE TRIGGER catalogue_version_bump AFTER INSERT ON outbox "
                   "FOR EACH STATEMENT EXECUTE FUNCTION catalogue_version_bump()")
    else:
        op.execute(f"CREATE TRIGGER catalogue_version_bump AFTER INSERT ON outbox BEGIN {BUMP}; END")


def downgrade() -> None:
    """Downgrade schema."""
    op.execute("DROP TRIGGER catalogue_version_bump" +
               (" ON outbox" if op.get_bind().dialect.name == "postgresql" else ""))
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION catalogue_version_bump()")
    op.drop_table('catalogue_version')
