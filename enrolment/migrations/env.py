"""Alembic environment of the enrolment service."""

from enrolment.models import Base
from shared.migrations import run_migrations

run_migrations(Base.metadata)
