"""Alembic environment of the catalogue service."""

from catalogue.models import Base
from shared.migrations import run_migrations

run_migrations(Base.metadata)
