"""Alembic environment of the notifications service."""

from notifications.models import Base
from shared.migrations import run_migrations

run_migrations(Base.metadata)
