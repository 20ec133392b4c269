"""The web front end's configuration, from environment variables like the services'."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

from shared.config import (DEVELOPMENT_JWT_SECRET, check_production_secret, check_token_settings, integer_from_env,
                           token_settings_from_env)

# Signs the session cookie; refused when APP_ENV=production, like the development JWT secret.
DEVELOPMENT_WEB_SECRET_KEY = "development-only-web-secret-do-not-use-in-production"
# oauth2-proxy's header with the identity provider's access token (`--pass-access-token`).
DEFAULT_TOKEN_HEADER = "X-Forwarded-Access-Token"


@dataclass(frozen=True)
class WebSettings:
    """Everything the front end needs: where the services are and how people sign in."""

    catalogue_url: str = "http://127.0.0.1:8001"
    enrolment_url: str = "http://127.0.0.1:8002"
    notifications_url: str = "http://127.0.0.1:8003"
    secret_key: str = DEVELOPMENT_WEB_SECRET_KEY
    jwt_secret: str = DEVELOPMENT_JWT_SECRET
    jwks_url: str | None = None
    jwt_issuer: str | None = None
    jwt_audience: str | None = None
    jwks_cache_seconds: float = 300.0
    jwks_cooldown_seconds: float = 30.0
    app_env: str = "development"
    host: str = "127.0.0.1"
    port: int = 8000
    token_header: str = DEFAULT_TOKEN_HEADER
    timeout_seconds: float = 10.0
    session_dir: Path = Path("var/web-sessions")  # where demo sign-in keeps its sessions' tokens

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> "WebSettings":
        """Read the front end's settings from the environment."""
        env = os.environ if environ is None else environ
        settings = cls(
            catalogue_url=env.get("CATALOGUE_URL", cls.catalogue_url).rstrip("/"),
            enrolment_url=env.get("ENROLMENT_URL", cls.enrolment_url).rstrip("/"),
            notifications_url=env.get("NOTIFICATIONS_URL", cls.notifications_url).rstrip("/"),
            secret_key=env.get("WEB_SECRET_KEY", DEVELOPMENT_WEB_SECRET_KEY),
            **token_settings_from_env(env),
            app_env=env.get("APP_ENV", "development"),
            host=env.get("HOST", "127.0.0.1"),
            port=integer_from_env(env, "WEB_PORT", 8000),
            token_header=env.get("WEB_TOKEN_HEADER", DEFAULT_TOKEN_HEADER),
            session_dir=Path(env.get("WEB_SESSION_DIR") or Path(env.get("DATA_DIR", "var")) / "web-sessions"),
        )
        settings.check()
        return settings

    @property
    def is_production(self) -> bool:
        return self.app_env == "production"

    @property
    def demo_sign_in(self) -> bool:
        """Choosing a demo person mints a development token: in development only (not in test or
        production), and never where an identity provider signs the tokens."""
        return self.app_env == "development" and not self.jwks_url

    def check(self) -> None:
        """Refuse the development secrets in production."""
        check_token_settings(self)
        if self.is_production:
            check_production_secret("WEB_SECRET_KEY", self.secret_key, DEVELOPMENT_WEB_SECRET_KEY)
