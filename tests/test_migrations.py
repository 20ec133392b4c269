"""Each service's migrations build exactly the schema its models describe, on SQLite and PostgreSQL."""

import pytest
from alembic import command

from shared.config import SERVICES
from shared.migrations import alembic_config, upgrade


@pytest.mark.parametrize("service", SERVICES)
def test_migrations_match_the_models_on_sqlite(service, tmp_path):
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    upgrade(service, url)
    command.check(alembic_config(service, url))  # raises if the models differ from the migrated schema


@pytest.mark.postgres
@pytest.mark.parametrize("service", SERVICES)
def test_migrations_match_the_models_on_postgresql_and_downgrade_cleanly(service, postgres_url):
    upgrade(service, postgres_url)
    command.check(alembic_config(service, postgres_url))
    command.downgrade(alembic_config(service, postgres_url), "base")
    upgrade(service, postgres_url)
