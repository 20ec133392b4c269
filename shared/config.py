"""Configuration from environment variables, with the embedded defaults of DESIGN section 3."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

from limits import parse_many

SERVICES = ("catalogue", "enrolment", "notifications")
QUEUE_TYPES = ("classic", "quorum")
SMTP_SECURITIES = ("none", "starttls", "tls")  # tls: implicit TLS from the first byte (port 465)
# A misspelt APP_ENV ("Production", "prod") must not quietly skip the production checks.
APP_ENVS = ("development", "test", "production")
DEFAULT_PORTS = {"catalogue": 8001, "enrolment": 8002, "notifications": 8003}

# Long enough for PyJWT's HMAC key-length check; refused when APP_ENV=production.
DEVELOPMENT_JWT_SECRET = "development-only-secret-do-not-use-in-production"


class ConfigError(ValueError):
    """The environment describes a configuration the service refuses to run with."""


def normalise_database_url(url: str) -> str:
    """Accept the plain URL an operator writes and pick our own driver for it."""
    for plain in ("postgresql://", "postgres://", "postgresql+psycopg2://"):
        if url.startswith(plain):
            return "postgresql+psycopg://" + url[len(plain):]
    return url


MAX_RETENTION = 100_000  # of days, hours or seconds: a number a timedelta holds (NaN and infinity are refused)


@dataclass(frozen=True)
class Settings:
    """Everything a service process needs to know about its environment."""

    service: str
    data_dir: Path
    database_url: str
    amqp_url: str = "filesystem://"
    app_env: str = "development"
    jwt_secret: str = DEVELOPMENT_JWT_SECRET
    jwks_url: str | None = None
    jwt_issuer: str | None = None
    jwt_audience: str | None = None
    jwks_cache_seconds: float = 300.0
    jwks_cooldown_seconds: float = 30.0
    host: str = "127.0.0.1"
    port: int = 8001
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_security: str = "none"
    smtp_username: str | None = None
    smtp_password: str | None = None
    mail_from: str = "LUMC-SSMU course exchange <exchange@lumc-ssmu.invalid>"
    queue_type: str = "classic"
    retry_delay_seconds: float = 5.0
    max_attempts: int = 5
    log_level: str = "INFO"
    max_body_bytes: int = 256 * 1024
    rate_limit_storage_url: str = "memory://"
    enrolment_rate_limit: str = "10/minute;60/hour"
    # The front end's address as people open it: emails link to its course and preferences pages.
    web_url: str = "http://127.0.0.1:8000"
    # Retention (docs/privacy.md): how long what is only kept for a while stays.
    outbox_retention_days: float = 30
    inbox_retention_days: float = 30
    idempotency_retention_hours: float = 24
    sent_email_retention_days: float = 30
    retention_batch_size: int = 500
    retention_interval_seconds: float = 300
    # How often enrolment's relay expires the waiting-list offers past their deadline and sends reminders
    # (an answer after the deadline is refused whenever the sweep runs; this only delays the next offer).
    offer_sweep_seconds: float = 30

    @classmethod
    def from_env(cls, service: str, environ: Mapping[str, str] | None = None) -> "Settings":
        """Read the settings of one service from the environment."""
        if service not in SERVICES:
            raise ConfigError(f"unknown service {service!r}; expected one of {', '.join(SERVICES)}")
        env = os.environ if environ is None else environ
        data_dir = Path(env.get("DATA_DIR", "var")).resolve()
        prefix = service.upper()
        settings = cls(
            service=service,
            data_dir=data_dir,
            database_url=normalise_database_url(
                env.get(f"{prefix}_DATABASE_URL", f"sqlite:///{data_dir / (service + '.db')}")
            ),
            amqp_url=env.get("AMQP_URL", "filesystem://"),
            app_env=env.get("APP_ENV", "development"),
            **token_settings_from_env(env),
            host=env.get("HOST", "127.0.0.1"),
            port=integer_from_env(env, f"{prefix}_PORT", DEFAULT_PORTS[service]),
            smtp_host=env.get("SMTP_HOST") or None,
            smtp_port=integer_from_env(env, "SMTP_PORT", 25),
            smtp_security=env.get("SMTP_SECURITY") or cls.smtp_security,
            smtp_username=env.get("SMTP_USERNAME") or None,
            smtp_password=env.get("SMTP_PASSWORD") or None,
            mail_from=env.get("MAIL_FROM", cls.mail_from),
            queue_type=env.get("AMQP_QUEUE_TYPE", "classic"),
            retry_delay_seconds=_number(env, "RETRY_DELAY_SECONDS", 5.0),
            max_attempts=integer_from_env(env, "MAX_ATTEMPTS", 5),
            log_level=env.get("LOG_LEVEL", "INFO").upper(),
            max_body_bytes=integer_from_env(env, "MAX_BODY_BYTES", 256 * 1024),
            rate_limit_storage_url=env.get("RATE_LIMIT_STORAGE_URL") or cls.rate_limit_storage_url,
            enrolment_rate_limit=env.get("ENROLMENT_RATE_LIMIT") or cls.enrolment_rate_limit,
            web_url=(env.get("WEB_URL") or cls.web_url).rstrip("/"),
            outbox_retention_days=_number(env, "OUTBOX_RETENTION_DAYS", cls.outbox_retention_days),
            inbox_retention_days=_number(env, "INBOX_RETENTION_DAYS", cls.inbox_retention_days),
            idempotency_retention_hours=_number(env, "IDEMPOTENCY_RETENTION_HOURS", cls.idempotency_retention_hours),
            sent_email_retention_days=_number(env, "SENT_EMAIL_RETENTION_DAYS", cls.sent_email_retention_days),
            retention_batch_size=integer_from_env(env, "RETENTION_BATCH_SIZE", cls.retention_batch_size),
            retention_interval_seconds=_number(env, "RETENTION_INTERVAL_SECONDS", cls.retention_interval_seconds),
            offer_sweep_seconds=_number(env, "OFFER_SWEEP_SECONDS", cls.offer_sweep_seconds),
        )
        settings.check()
        return settings

    @property
    def is_production(self) -> bool:
        return self.app_env == "production"

    @property
    def uses_embedded_broker(self) -> bool:
        return self.amqp_url.startswith("filesystem://")

    def check(self) -> None:
        """Refuse configurations that must never reach production, or that make no sense."""
        if self.queue_type not in QUEUE_TYPES:
            raise ConfigError(f"AMQP_QUEUE_TYPE must be one of {', '.join(QUEUE_TYPES)}, not {self.queue_type!r}")
        if self.max_attempts < 1 or self.retry_delay_seconds <= 0:
            raise ConfigError("MAX_ATTEMPTS must be at least 1 and RETRY_DELAY_SECONDS more than 0")
        try:
            parse_many(self.enrolment_rate_limit)
        except ValueError:
            raise ConfigError(f"ENROLMENT_RATE_LIMIT must read like '10/minute;60/hour', "
                              f"not {self.enrolment_rate_limit!r}") from None
        check_token_settings(self)
        self.check_mail()
        if not self.web_url.startswith(("https://", "http://")):
            raise ConfigError(f"WEB_URL must be the front end's http(s) address, not {self.web_url!r}")
        self.check_retention()
        if not 0 < self.offer_sweep_seconds <= MAX_RETENTION:
            raise ConfigError(f"OFFER_SWEEP_SECONDS must be more than 0 and at most {MAX_RETENTION}")
        if not self.is_production:
            return
        if self.database_url.startswith("sqlite"):
            raise ConfigError(f"APP_ENV=production needs {self.service.upper()}_DATABASE_URL on PostgreSQL")
        if self.uses_embedded_broker:
            raise ConfigError("APP_ENV=production needs AMQP_URL pointing at RabbitMQ")


    def check_retention(self) -> None:
        periods = (self.outbox_retention_days, self.inbox_retention_days, self.idempotency_retention_hours,
                   self.sent_email_retention_days, self.retention_interval_seconds)
        if not all(0 < period <= MAX_RETENTION for period in periods) or self.retention_batch_size < 1:
            raise ConfigError(f"retention periods (*_RETENTION_DAYS, IDEMPOTENCY_RETENTION_HOURS, "
                              f"RETENTION_INTERVAL_SECONDS) must be more than 0 and at most {MAX_RETENTION}, "
                              "RETENTION_BATCH_SIZE at least 1")

    def check_mail(self) -> None:
        if self.smtp_security not in SMTP_SECURITIES:
            raise ConfigError(f"SMTP_SECURITY must be one of {', '.join(SMTP_SECURITIES)}, not {self.smtp_security!r}")
        if bool(self.smtp_username) != bool(self.smtp_password):
            raise ConfigError("SMTP_USERNAME and SMTP_PASSWORD go together")
        if self.smtp_username and self.smtp_security == "none":
            raise ConfigError("SMTP_USERNAME needs SMTP_SECURITY=starttls or tls: the password never travels in clear")


def token_settings_from_env(env: Mapping[str, str]) -> dict:
    """How bearer tokens are verified (shared/http/auth.TokenVerifier), for the services and the front end alike."""
    return {
        "jwt_secret": env.get("JWT_SECRET", DEVELOPMENT_JWT_SECRET),
        "jwks_url": env.get("JWKS_URL") or None,
        "jwt_issuer": env.get("JWT_ISSUER") or None,
        "jwt_audience": env.get("JWT_AUDIENCE") or None,
        "jwks_cache_seconds": _number(env, "JWKS_CACHE_SECONDS", 300.0),
        "jwks_cooldown_seconds": _number(env, "JWKS_COOLDOWN_SECONDS", 30.0),
    }


def check_token_settings(settings) -> None:
    """Refuse token settings that make no sense, and in production those anyone could forge tokens for."""
    if settings.app_env not in APP_ENVS:
        raise ConfigError(f"APP_ENV must be one of {', '.join(APP_ENVS)}, not {settings.app_env!r}")
    if settings.jwks_url and not settings.jwks_url.startswith(("https://", "http://")):
        raise ConfigError(f"JWKS_URL must be an http(s) URL, not {settings.jwks_url!r}")
    if settings.jwks_cache_seconds <= 0 or settings.jwks_cooldown_seconds < 0:
        raise ConfigError("JWKS_CACHE_SECONDS must be more than 0 and JWKS_COOLDOWN_SECONDS at least 0")
    if not settings.is_production:
        return
    if not settings.jwks_url:
        check_production_secret("JWT_SECRET", settings.jwt_secret, DEVELOPMENT_JWT_SECRET)
    elif not settings.jwks_url.startswith("https://"):
        raise ConfigError("APP_ENV=production needs JWKS_URL on https://: keys fetched in the clear could be swapped")
    if not (settings.jwt_issuer and settings.jwt_audience):
        raise ConfigError("APP_ENV=production needs JWT_ISSUER and JWT_AUDIENCE, "
                          "so that tokens of other issuers or for other applications are refused")


def check_production_secret(variable: str, value: str, development_value: str) -> None:
    """Refuse, in production, a secret that is the development default or too short to resist guessing."""
    if value == development_value or len(value) < 32:
        raise ConfigError(f"APP_ENV=production needs {variable} set to a secret of 32 characters or more")


def integer_from_env(env: Mapping[str, str], name: str, default: int) -> int:
    return _parsed(env, name, default, int, "a whole number")


def _number(env: Mapping[str, str], name: str, default: float) -> float:
    return _parsed(env, name, default, float, "a number")


def _parsed(env: Mapping[str, str], name: str, default, kind, described: str):
    raw = env.get(name)
    if raw in (None, ""):
        return default
    try:
        return kind(raw)
    except ValueError:
        raise ConfigError(f"{name} must be {described}, not {raw!r}") from None
