"""Configuration from the environment, with the embedded defaults and production's refusals."""

import pytest

from shared.config import DEVELOPMENT_JWT_SECRET, ConfigError, Settings, normalise_database_url


def test_the_embedded_default_needs_no_configuration(tmp_path):
    settings = Settings.from_env("enrolment", {"DATA_DIR": str(tmp_path)})

    assert settings.database_url == f"sqlite:///{tmp_path / 'enrolment.db'}"
    assert settings.uses_embedded_broker
    assert settings.port == 8002
    assert settings.jwt_secret == DEVELOPMENT_JWT_SECRET


def test_each_service_reads_its_own_database_url_in_the_plain_form_an_operator_writes(tmp_path):
    env = {"DATA_DIR": str(tmp_path), "CATALOGUE_DATABASE_URL": "postgresql://app@db:5432/catalogue",
           "AMQP_URL": "amqp://guest:guest@rabbitmq:5672/"}

    catalogue = Settings.from_env("catalogue", env)
    notifications = Settings.from_env("notifications", env)

    assert catalogue.database_url == "postgresql+psycopg://app@db:5432/catalogue"
    assert notifications.database_url.startswith("sqlite:///")
    assert not catalogue.uses_embedded_broker


@pytest.mark.parametrize("url", ["postgres://u@h/d", "postgresql+psycopg2://u@h/d", "postgresql://u@h/d"])
def test_postgres_urls_get_our_driver(url):
    assert normalise_database_url(url) == "postgresql+psycopg://u@h/d"


def test_production_refuses_the_development_secret():
    env = {"APP_ENV": "production", "ENROLMENT_DATABASE_URL": "postgresql://u@h/d", "AMQP_URL": "amqp://h"}
    with pytest.raises(ConfigError, match="JWT_SECRET"):
        Settings.from_env("enrolment", env)


@pytest.mark.parametrize("missing, message", [("ENROLMENT_DATABASE_URL", "PostgreSQL"), ("AMQP_URL", "RabbitMQ")])
def test_production_refuses_the_embedded_parts(missing, message):
    env = {"APP_ENV": "production", "JWT_SECRET": "x" * 40, "ENROLMENT_DATABASE_URL": "postgresql://u@h/d",
           "AMQP_URL": "amqp://h", "JWT_ISSUER": "https://idp.invalid", "JWT_AUDIENCE": "course-exchange"}
    del env[missing]
    with pytest.raises(ConfigError, match=message):
        Settings.from_env("enrolment", env)


def test_production_starts_with_real_parts_and_a_real_secret():
    env = {"APP_ENV": "production", "JWT_SECRET": "s" * 40, "ENROLMENT_DATABASE_URL": "postgresql://u@h/d",
           "AMQP_URL": "amqp://h", "JWT_ISSUER": "https://idp.invalid", "JWT_AUDIENCE": "course-exchange"}
    assert Settings.from_env("enrolment", env).is_production


def test_a_port_that_is_not_a_number_is_a_clear_error():
    with pytest.raises(ConfigError, match="CATALOGUE_PORT"):
        Settings.from_env("catalogue", {"CATALOGUE_PORT": "eighty"})


def test_an_unknown_service_is_refused():
    with pytest.raises(ConfigError, match="unknown service"):
        Settings.from_env("billing", {})


def test_the_queue_type_is_classic_or_quorum():
    assert Settings.from_env("enrolment", {"AMQP_QUEUE_TYPE": "quorum"}).queue_type == "quorum"
    with pytest.raises(ConfigError, match="AMQP_QUEUE_TYPE"):
        Settings.from_env("enrolment", {"AMQP_QUEUE_TYPE": "stream"})


def test_emails_link_to_the_front_end_at_web_url_and_only_at_an_http_address():
    assert Settings.from_env("notifications", {}).web_url == "http://127.0.0.1:8000"
    assert Settings.from_env("notifications", {"WEB_URL": "https://exchange.lumc.nl/"}).web_url == \
        "https://exchange.lumc.nl"
    with pytest.raises(ConfigError, match="WEB_URL"):
        Settings.from_env("notifications", {"WEB_URL": "javascript:alert(1)"})
