"""SQLAlchemy 2 engines and transactions, the same on SQLite and PostgreSQL."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator

import psycopg
from sqlalchemy import BigInteger, DateTime, Engine, Executable, Integer, Table, create_engine, event, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, InterfaceError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

# An auto-incrementing 64-bit key on PostgreSQL that SQLite also numbers itself.
BigIntegerKey = BigInteger().with_variant(Integer, "sqlite")


def utcnow() -> datetime:
    """Return the current time as an aware UTC datetime."""
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator):
    """An instant stored in UTC and always read back timezone-aware, also from SQLite."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are ambiguous; pass an aware UTC instant")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


class MessagingBase(DeclarativeBase):
    """Declarative base of the outbox and inbox tables that every service's database holds."""


READ_ONLY = "course_exchange_read_only"


def create_db_engine(url: str, *, foreign_keys: bool = True, application_name: str | None = None) -> Engine:
    """Create an engine with the settings our transactions rely on.

    On PostgreSQL, `application_name` names the process in pg_stat_activity (e.g. enrolment-relay).
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _create_sqlite_engine(url, parsed.database, foreign_keys)
    connect_args = {"application_name": application_name} if application_name else {}
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10, connect_args=connect_args)


def _create_sqlite_engine(url: str, path: str | None, foreign_keys: bool) -> Engine:
    if path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

    @event.listens_for(engine, "connect")
    def configure_connection(dbapi_connection, _record):
        # Let SQLAlchemy, not pysqlite, decide when a transaction begins (see "begin" below).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        # Off only for migrations: SQLite rebuilds tables to alter them, which cascades otherwise.
        cursor.execute(f"PRAGMA foreign_keys={'ON' if foreign_keys else 'OFF'}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def begin_immediately(connection):
        # SQLite has no row locks: taking the write lock up front makes every
        # read-then-write transaction atomic across processes instead of failing
        # with "database is locked" when two of them try to upgrade at once.
        # Read-only transactions take no lock, so WAL lets them run beside a writer.
        read_only = connection.get_execution_options().get(READ_ONLY)
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

    return engine


class Database:
    """One service's database: an engine and transactions on it."""

    def __init__(self, url: str, application_name: str | None = None):
        self.url = url
        self.engine = create_db_engine(url, application_name=application_name)
        # read_value's: autocommit, and not pinged at checkout (a dead connection is retried instead)
        self._autocommit_engine = create_engine(
            url, isolation_level="AUTOCOMMIT", pool_size=2, max_overflow=8,
            connect_args={"application_name": application_name} if application_name else {},
        ) if self.is_postgresql else None
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._read_engine = self.engine.execution_options(**{READ_ONLY: True})
        self._read_sessions = sessionmaker(self._read_engine, expire_on_commit=False)

    @property
    def is_postgresql(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """Yield a session whose work is committed on success and rolled back on error."""
        with self._sessions.begin() as session:
            yield session

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """Yield a session for reads only; on SQLite it does not wait for, or block, writers."""
        with self._read_sessions.begin() as session:
            yield session

    def read_value(self, statement: Executable) -> Any:
        """Return the first column of a one-row read that needs no transaction (None without a row).

        On PostgreSQL one round trip: an autocommit connection from a small pool of its own that is not
        pinged at checkout, so no BEGIN, COMMIT or ping around the statement; a connection found dead is
        dropped and the read tried once more on a new one. On SQLite as `reading` does.
        """
        if self._autocommit_engine is None:
            with self.reading() as session:
                return session.scalar(statement)
        try:
            return self._read_in_autocommit(statement)
        except DBAPIError as exc:
            if not exc.connection_invalidated:
                raise
            return self._read_in_autocommit(statement)  # that pooled connection was dead; this one is new

    def _read_in_autocommit(self, statement: Executable) -> Any:
        with self._autocommit_engine.connect() as connection:
            return connection.scalar(statement)

    def ping(self) -> None:
        """Raise unless the database answers a trivial query."""
        with self._read_engine.connect() as connection:
            connection.execute(text("SELECT 1"))

    def dispose(self) -> None:
        """Close every pooled connection (before a fork, and at shutdown)."""
        self.engine.dispose()
        if self._autocommit_engine is not None:
            self._autocommit_engine.dispose()


def insert_unless_present(session: Session, table: Table, values: dict[str, Any]) -> bool:
    """Insert a row unless one with the same key exists; return whether it was inserted.

    Concurrent callers with the same key serialise on the unique index: exactly one inserts.
    """
    return bool(insert_missing(session, table, [values]))


def insert_missing(session: Session, table: Table, rows: list[dict[str, Any]]) -> set[Any]:
    """Insert, in one statement, the rows whose key is not there yet; return the keys inserted.

    A key given twice is inserted once; concurrent callers with the same key serialise on the
    unique index, and exactly one inserts it.
    """
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    key = list(table.primary_key.columns)[0]
    # RETURNING, not rowcount: psycopg reports no rowcount for this statement. The rows are parameters,
    # not part of the statement: SQLAlchemy compiles it once and sends them as one multi-row INSERT
    # ("insertmanyvalues"), where a statement built with .values(rows) was compiled anew every time.
    statement = dialect.insert(table).on_conflict_do_nothing().returning(key)
    return set(session.scalars(statement, rows))


# SQLSTATE classes of a database that is away or overloaded, not of a wrong statement: connection
# exceptions, rolled-back transactions (deadlock, serialization), insufficient resources, shutdown.
TRANSIENT_SQLSTATE_PREFIXES = ("08", "40", "53", "57P")
SQLITE_BUSY_CODES = ("SQLITE_BUSY", "SQLITE_LOCKED", "SQLITE_CANTOPEN", "SQLITE_IOERR")


def is_database_outage(error: BaseException) -> bool:
    """Tell a database that cannot answer now (worth a retry) from a statement that is wrong."""
    if not isinstance(error, DBAPIError):
        return False
    if error.connection_invalidated or isinstance(error, InterfaceError):
        return True
    original = error.orig
    sqlstate = getattr(original, "sqlstate", None)
    if sqlstate:
        return sqlstate.startswith(TRANSIENT_SQLSTATE_PREFIXES)
    sqlite_error = getattr(original, "sqlite_errorname", None)
    if sqlite_error:
        return sqlite_error.startswith(SQLITE_BUSY_CODES)
    return isinstance(original, psycopg.OperationalError)  # a failed connect carries no SQLSTATE
