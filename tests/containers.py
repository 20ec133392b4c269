"""Driving the compose stack from tests: `make up` / `make down` with a stack of the test's own (project
name, ports, env file), third-party images replaced by stand-ins built from Debian's packages."""

from __future__ import annotations

import dataclasses
import os
import shutil
import subprocess
import uuid
from pathlib import Path

import httpx
import pytest

from services.tokens import demo_token
from tests.servers import free_port

ROOT = Path(__file__).resolve().parent.parent
ISSUER, AUDIENCE = "https://login.example.invalid/", "course-exchange"


def require_docker() -> None:
    """Skip (fail under CI=true) when no Docker engine answers."""
    reason = None
    if shutil.which("docker") is None:
        reason = "the docker client is not installed"
    elif subprocess.run(["docker", "info"], capture_output=True, timeout=60).returncode != 0:
        reason = "no Docker engine answers (start dockerd; .ci/run does)"
    if reason:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true but {reason}")
        pytest.skip(reason)


def stand_in_images() -> dict[str, str]:
    """Build (once per machine) the stand-ins for the official images; return the variables naming them."""
    result = subprocess.run([str(ROOT / "deploy/stand-ins/build.sh")], capture_output=True, text=True,
                            timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]
    lines = [line.removeprefix("export ") for line in result.stdout.splitlines() if line.startswith("export ")]
    return dict(line.split("=", 1) for line in lines)


def compose_command() -> list[str]:
    """Compose v2 where installed, else v1, as deploy/compose.sh chooses."""
    if subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0:
        return ["docker", "compose"]
    return ["docker-compose"]


@dataclasses.dataclass
class Stack:
    """A compose stack of the test's own: its settings, its ports and the tokens its secret signs."""

    env: dict[str, str]
    env_file: Path

    @classmethod
    def new(cls, folder: Path, **settings: str) -> "Stack":
        ports = {name: str(free_port()) for name in
                 ("HTTP_PORT", "CATALOGUE_PORT", "ENROLMENT_PORT", "NOTIFICATIONS_PORT", "MAILPIT_PORT")}
        env = {**os.environ, **stand_in_images(), **ports,
               "ENV_FILE": str(folder / ".env"), "COMPOSE_PROJECT_NAME": f"cetest{uuid.uuid4().hex[:8]}",
               "COMPOSE_PROFILES": "dev", "SMTP_HOST": "mailpit", "SMTP_PORT": "1025",
               "JWT_ISSUER": ISSUER, "JWT_AUDIENCE": AUDIENCE, "RETRY_DELAY_SECONDS": "1",
               "WAIT_SECONDS": "420", **settings}
        return cls(env, folder / ".env")

    def make(self, target: str, timeout: float = 900) -> str:
        result = subprocess.run(["make", "--no-print-directory", target], cwd=ROOT, env=self.env,
                                capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
        assert result.returncode == 0, f"make {target}:\n{result.stdout[-3000:]}\n{result.stderr[-5000:]}"
        return result.stdout

    def compose(self, *args: str, input: bytes | None = None, timeout: float = 300) -> bytes:
        command = [*compose_command(), "--env-file", str(self.env_file), *args]
        result = subprocess.run(command, cwd=ROOT, env=self.env, input=input, capture_output=True,
                                timeout=timeout)
        assert result.returncode == 0, f"{' '.join(args)}: {result.stderr.decode(errors='replace')[-3000:]}"
        return result.stdout

    def health(self, service: str) -> str:
        """The health of the service's container: starting, healthy or unhealthy."""
        container = self.compose("ps", "-q", service).decode().strip()
        result = subprocess.run(["docker", "inspect", "-f", "{{.State.Health.Status}}", container],
                                capture_output=True, text=True, timeout=30)
        return result.stdout.strip()

    def setting(self, name: str) -> str:
        """A setting as the stack sees it: the environment first, then the env file `make up` wrote."""
        if name in self.env:
            return self.env[name]
        lines = [line for line in self.env_file.read_text().splitlines() if line.startswith(f"{name}=")]
        return lines[-1].split("=", 1)[1]

    @property
    def proxy(self) -> str:
        return f"http://127.0.0.1:{self.env['HTTP_PORT']}"

    @property
    def mail_catcher(self) -> str:
        return f"http://127.0.0.1:{self.env['MAILPIT_PORT']}"

    def token(self, role: str, institution: str, **claims) -> dict[str, str]:
        token = demo_token(self.setting("JWT_SECRET"), role=role, institution=institution, issuer=ISSUER,
                           audience=AUDIENCE, **claims)
        return {"Authorization": f"Bearer {token}"}

    def emails(self) -> list[dict]:
        answer = httpx.get(f"{self.mail_catcher}/api/v1/messages", params={"limit": 10000}, timeout=10)
        answer.raise_for_status()
        return answer.json()["messages"]
