"""word-form search: stems of each course's text, its headline apart, and the vocabulary of stems

Revision ID: b7d1c2e4f5a6
Revises: 7b1e5c0d2a47
Create Date: 2026-11-30 08:40:00

The courses' search_text held folded text; it now holds Snowball stems, so every course is indexed
anew here (catalogue.search_index.search_index, the function the domain code keeps them current with).
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

from catalogue.search_index import search_index

revision: str = 'b7d1c2e4f5a6'
down_revision: Union[str, Sequence[str], None] = '7b1e5c0d2a47'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

courses = sa.table('courses', sa.column('id', sa.String), sa.column('code', sa.String),
                   sa.column('title', sa.JSON), sa.column('description', sa.JSON),
                   sa.column('search_text', sa.Text), sa.column('search_title', sa.Text))
course_topics = sa.table('course_topics', sa.column('course_id', sa.String), sa.column('value', sa.String),
                         sa.column('position', sa.Integer))


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table('courses', schema=None) as batch_op:
        batch_op.add_column(sa.Column('search_title', sa.Text(), nullable=False, server_default=''))
    with op.batch_alter_table('courses', schema=None) as batch_op:
        batch_op.alter_column('search_title', server_default=None)
    search_words = op.create_table(
        'search_words',
        sa.Column('word', sa.String(length=60).with_variant(sa.String(length=60, collation='C'), 'postgresql'),
                  nullable=False),
        sa.PrimaryKeyConstraint('word'))
    _index_every_course(search_words)


def downgrade() -> None:
    """Downgrade schema (search_text keeps stems, which a plain substring search still mostly finds)."""
    op.drop_table('search_words')
    with op.batch_alter_table('courses', schema=None) as batch_op:
        batch_op.drop_column('search_title')


def _index_every_course(search_words: sa.Table) -> None:
    connection = op.get_bind()
    topics: dict[str, list[str]] = {}
    for course_id, value in connection.execute(
            sa.select(course_topics.c.course_id, course_topics.c.value).order_by(course_topics.c.position)):
        topics.setdefault(course_id, []).append(value)
    words: set[str] = set()
    for row in connection.execute(sa.select(courses.c.id, courses.c.code, courses.c.title, courses.c.description)).all():
        index = search_index(row.code, row.title, row.description, topics.get(row.id, []))
        connection.execute(courses.update().where(courses.c.id == row.id).values(
            search_title=index.title, search_text=index.text))
        words.update(index.words)
    op.bulk_insert(search_words, [{"word": word} for word in sorted(words)])
