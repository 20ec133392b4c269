"""Schemathesis against each running service's /openapi.json, with valid tokens: every check on, no 5xx,
every answer (status, content type, headers, body) as the document says, on SQLite and on PostgreSQL (there
with the coverage phase too). Bounded by tests/schemathesis.toml (examples per operation) and a timeout per
service."""

import os
import subprocess
import sys
from contextlib import ExitStack
from pathlib import Path
from xml.etree import ElementTree

import httpx
import pytest

from shared.config import DEVELOPMENT_JWT_SECRET
from shared.http.demo_tokens import demo_token
from tests.support.environment import throwaway_postgres_databases, wait_for
from tests.support.payloads import course_payload, offering_payload
from tests.support.servers import running_system

pytestmark = pytest.mark.e2e

CONFIG = Path(__file__).with_name("schemathesis.toml")
SCHEMATHESIS = [sys.executable, "-m", "schemathesis.cli"]
RUN_SECONDS = 240
# Under CI one fixed seed, so that a red run is reproducible and was caused by a change; elsewhere every
# run explores new cases (SCHEMATHESIS_SEED picks one, e.g. to replay a failure's "Seed:" line).
SEED = os.environ.get("SCHEMATHESIS_SEED") or ("20261126" if os.environ.get("CI", "").lower() == "true" else None)
# The coverage phase sends every boundary and hostile value of every field (over a thousand requests to the
# catalogue alone), and PostgreSQL is the database that refuses what SQLite lets through (NUL, lone
# surrogates): it runs there; on SQLite the examples and the random fuzzing.
PHASES = {"postgresql": "examples,coverage,fuzzing", "sqlite": "examples,fuzzing"}
# Who calls each service: the role that reaches most of its operations.
CALLERS = {"catalogue": ("coordinator", "LUMC"), "enrolment": ("student", "SSMU"),
           "notifications": ("student", "SSMU")}


def bearer(role: str, institution: str) -> str:
    return "Bearer " + demo_token(DEVELOPMENT_JWT_SECRET, role=role, institution=institution)


def readable(output: str) -> str:
    """Schemathesis' failures and seed, with generated addresses cut short (they run to kilobytes)."""
    failures = output[output.find("FAILURES"):] if "FAILURES" in output else output
    return "\n".join(line if len(line) < 400 else line[:400] + " …" for line in failures.splitlines())[:8000]


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def system(request, tmp_path_factory):
    """The system on SQLite files or on PostgreSQL, which refuses what SQLite stores (NUL, lone surrogates)."""
    # Fuzzing enrols the same student many times; the limit itself is tested in test_security.py.
    env = {"ENROLMENT_RATE_LIMIT": "100000/minute"}
    with ExitStack() as stack:
        if request.param == "postgresql":
            create = stack.enter_context(throwaway_postgres_databases(request.getfixturevalue("postgres_admin")))
            env.update({f"{service.upper()}_DATABASE_URL": create(service) for service in CALLERS})
        yield {**stack.enter_context(running_system(tmp_path_factory.mktemp("fuzz"), env)), "database": request.param}


@pytest.fixture(scope="module")
def known_ids(system):
    """A published course with an open offering, so generated requests reach past the 404s."""
    coordinator = {"Authorization": bearer("coordinator", "LUMC")}
    catalogue = httpx.Client(base_url=system["catalogue"], headers=coordinator, timeout=10)
    course = catalogue.post("/api/v1/courses", json=course_payload(code="FUZZ-1")).json()
    catalogue.post(f"/api/v1/courses/{course['id']}/publish").raise_for_status()
    offering = catalogue.post(f"/api/v1/courses/{course['id']}/offerings", json=offering_payload()).json()
    wait_for(lambda: httpx.get(f"{system['enrolment']}/api/v1/offerings/{offering['id']}/seats").status_code == 200)
    return {"COURSE_ID": course["id"], "OFFERING_ID": offering["id"]}


@pytest.mark.parametrize("service", list(CALLERS))
def test_every_answer_conforms_to_the_openapi_document(system, known_ids, service, tmp_path):
    report = tmp_path / "junit.xml"
    command = [*SCHEMATHESIS, "--config-file", str(CONFIG), "run", f"{system[service]}/openapi.json",
               "--checks", "all", "--phases", PHASES[system["database"]], "--no-color",
               "--header", f"Authorization: {bearer(*CALLERS[service])}",
               "--report", "junit", "--report-junit-path", str(report), *(["--seed", SEED] if SEED else [])]
    env = {**os.environ, **known_ids}
    finished = subprocess.run(command, env=env, capture_output=True, text=True, timeout=RUN_SECONDS)
    assert finished.returncode == 0, readable(finished.stdout) + finished.stderr[-2000:]
    suites = ElementTree.parse(report).getroot()
    assert sum(int(suite.get("tests")) for suite in suites.iter("testsuite")) >= 6  # it tested the operations
