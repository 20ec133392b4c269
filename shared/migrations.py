"""Alembic migrations, one history per service, run the same way by every entry point."""

from __future__ import annotations

import importlib
from pathlib import Path

from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData

from shared.db import UTCDateTime, create_db_engine
from shared.messaging.inbox import InboxMessage
from shared.messaging.outbox import OutboxMessage
from shared.privacy import ErasureRecord


def alembic_config(service: str, database_url: str) -> Config:
    """Return the Alembic configuration of a service's migrations against a database."""
    package_dir = Path(importlib.import_module(service).__file__).parent
    config = Config()
    config.set_main_option("script_location", str(package_dir / "migrations"))
    config.attributes["database_url"] = database_url
    return config


def upgrade(service: str, database_url: str, revision: str = "head") -> None:
    """Bring a service's database to `revision` (the newest by default)."""
    command.upgrade(alembic_config(service, database_url), revision)


def make_revision(service: str, database_url: str, message: str) -> None:
    """Write a new migration of a service by comparing its models with the database."""
    command.revision(alembic_config(service, database_url), message=message, autogenerate=True)


def _render_item(type_: str, obj, autogen_context):
    """Write our UTC type as the column type it is in the database, keeping migrations plain."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _exists_on(dialect: str):
    """Leave out of comparisons what the models create on other databases only (ddl_if)."""

    def include_object(obj, _name, _type, _reflected, _compare_to) -> bool:
        condition = getattr(obj, "_ddl_if", None)
        if condition is None or condition.dialect is None:
            return True
        dialects = (condition.dialect,) if isinstance(condition.dialect, str) else condition.dialect
        return dialect in dialects

    return include_object


def run_migrations(service_metadata: MetaData) -> None:
    """Run Alembic's online migration; each service's env.py calls this with its own models.

    The outbox, inbox and erasure tables (one metadata, shared by all) live in every service's database.
    """
    assert InboxMessage.metadata is OutboxMessage.metadata is ErasureRecord.metadata
    engine = create_db_engine(context.config.attributes["database_url"], foreign_keys=False)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=[OutboxMessage.metadata, service_metadata],
            render_as_batch=engine.dialect.name == "sqlite",
            compare_type=True,
            render_item=_render_item,
            include_object=_exists_on(engine.dialect.name),
        )
        with context.begin_transaction():
            context.run_migrations()
            _check_foreign_keys(connection)
    engine.dispose()


def _check_foreign_keys(connection) -> None:
    """On SQLite (migrated with foreign keys off), refuse to commit a migration that broke them."""
    if connection.dialect.name == "sqlite":
        broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
        if broken:
            raise RuntimeError(f"the migration left rows with broken foreign keys: {broken[:5]}")
