"""A property of all three services, on SQLite and PostgreSQL: whatever hostile value goes into whichever
text, number or date field, query parameter, path id or token claim, the answer is a 2xx or a 4xx
problem+json, and a 4xx changed nothing in the service's database.

Each example takes one valid request of some operation and puts one hostile value in one place of it.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from urllib.parse import quote

import jwt
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import MetaData, select

from enrolment.replica import apply_offering_snapshot
from shared.config import DEVELOPMENT_JWT_SECRET
from shared.errors import PROBLEM_MEDIA_TYPE
from tests.conftest import course_payload, offering_payload, offering_snapshot

EXAMPLES = 200  # per database: about 10 s each on this machine

HOSTILE_TEXT = st.one_of(
    st.sampled_from([
        "\x00", "a\x00b", "\ud800", "x\udfffy", "\u202eevil.exe", "\u200b", "\u200b\u200c\u2060\ufeff", " ", "",
        "A" * 10_000, "Ж" * 4001, "<script>alert(1)</script>", '<a href="https://evil.example">x</a>',
        "line\r\nBcc: evil@attacker.example", "=HYPERLINK(\"https://evil.example\")", "+1", "@SUM(A1)", "\t",
        "' OR '1'='1' --", "%00", "\\", '"', "ёЁ" * 30, "😀" * 5, "\u0301", "מרצה", "\x1b[31m", "null", "0",
    ]),
    st.text(max_size=40),
    st.text(st.characters(categories=["Cc", "Cf", "Cs", "Zs", "Zl", "Mn", "Co"]), max_size=12),
)
EXTREME_NUMBERS = st.one_of(
    st.sampled_from([0, -1, 0.5, 60, 60.5, 1e308, -1e308, 5e-324, 10 ** 400, 2 ** 63, -2 ** 63, 2 ** 31,
                     float("nan"), float("inf"), float("-inf"), 1e-400, True]),
    st.integers(min_value=-2 ** 70, max_value=2 ** 70),
    st.floats(),
)
_OFFSETS = st.timedeltas(min_value=-timedelta(hours=23, minutes=59), max_value=timedelta(hours=23, minutes=59))
EXTREME_INSTANTS = st.one_of(
    st.sampled_from([
        "0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-00:01", "0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z",
        "0001-01-01T23:00:00-02:00", "9999-12-31T00:00:00+14:00", "2027-02-30T00:00:00Z", "2027-01-01T25:00:00Z",
        "2027-01-01T00:00:00", "2027-01-01T00:00:00+24:00", "-0001-01-01T00:00:00Z", "10000-01-01T00:00:00Z",
        "1970-01-01T00:00:00Z", "2027-01-01", "",
    ]),
    st.builds(lambda moment, offset: moment.replace(tzinfo=timezone(offset)).isoformat(),
              st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)), _OFFSETS),
)
EXTREME_DATES = st.one_of(
    st.sampled_from(["0001-01-01", "9999-12-31", "2027-02-29", "0000-01-01", "10000-01-01", "2027-13-01", ""]),
    st.dates().map(str),
)
ANY_JSON = st.recursive(st.none() | st.booleans() | EXTREME_NUMBERS | HOSTILE_TEXT,
                        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(HOSTILE_TEXT, inner, max_size=3),
                        max_leaves=6)
VALUES = {"text": HOSTILE_TEXT, "number": EXTREME_NUMBERS, "instant": EXTREME_INSTANTS, "date": EXTREME_DATES,
          "any": ANY_JSON}


@dataclass(frozen=True)
class Operation:
    """A valid request, and the places in it a hostile value may go: {place: kind of value}."""

    service: str
    method: str
    path: str  # with {course}, {offering}, {cancellable} and {enrolment} for the known ids
    places: dict
    body: dict | None = None
    role: str = "student"
    if_match: bool = False


COURSE_PLACES = {"body.code": "text", "body.institution": "text", "body.title.en": "text", "body.title.ru": "text",
                 "body.description.en": "text", "body.description.ru": "text", "body.ects": "number",
                 "body.level": "text", "body.language": "text", "body.isced": "text", "body.topics.0": "text",
                 "body.coordinators.0": "text", "body.title": "any", "body.topics": "any"}
OFFERING_PLACES = {"body.term": "text", "body.starts_on": "date", "body.ends_on": "date",
                   "body.enrolment_opens_at": "instant", "body.enrolment_closes_at": "instant",
                   "body.capacity": "number", "body.waitlist": "any", "body.location": "text"}
PAGES = {"query.page": "text", "query.per_page": "text"}
CLAIMS = {"claim.sub": "text", "claim.name": "text", "claim.email": "text", "claim.locale": "text",
          "claim.exp": "number"}

OPERATIONS = [
    Operation("catalogue", "GET", "/courses", {
        **{f"query.{name}": "text" for name in ("q", "institution", "topic", "level", "language", "term", "status")},
        "query.modified_since": "instant", **PAGES, **CLAIMS}),
    Operation("catalogue", "POST", "/courses", {**COURSE_PLACES, **CLAIMS}, course_payload(code="NEW-1"),
              role="coordinator"),
    Operation("catalogue", "PATCH", "/courses/{course}", COURSE_PLACES,
              {name: value for name, value in course_payload(title={"en": "Allergy"}).items() if name != "institution"},
              role="coordinator", if_match=True),
    Operation("catalogue", "GET", "/courses/{course}", {"path.course": "text"}),
    Operation("catalogue", "GET", "/courses/{course}/history", {"path.course": "text", **PAGES}, role="coordinator"),
    Operation("catalogue", "POST", "/courses/{course}/offerings", {"path.course": "text", **OFFERING_PLACES},
              offering_payload(), role="coordinator"),
    Operation("catalogue", "PATCH", "/offerings/{offering}", OFFERING_PLACES, {"capacity": 30, "location": "Leiden"},
              role="coordinator", if_match=True),
    Operation("catalogue", "POST", "/offerings/{cancellable}/cancel", {"body.reason": "text", "path.cancellable": "text"},
              {"reason": "The lecturer is ill."}, role="coordinator"),
    Operation("enrolment", "POST", "/enrolments", {"body.offering_id": "text", "body": "any", **CLAIMS},
              {"offering_id": "{offering}"}),
    Operation("enrolment", "GET", "/enrolments/me", {**PAGES, **CLAIMS}),
    Operation("enrolment", "GET", "/enrolments/{enrolment}", {"path.enrolment": "text"}),
    Operation("enrolment", "GET", "/offerings/{offering}/seats", {"path.offering": "text"}),
    Operation("enrolment", "GET", "/offerings/{offering}/roster", {"path.offering": "text"}, role="coordinator"),
    Operation("notifications", "GET", "/notifications/me", {**PAGES, **CLAIMS}),
    Operation("notifications", "POST", "/notifications/{enrolment}/read", {"path.enrolment": "text"}),
    Operation("notifications", "PUT", "/preferences/me", {"body.locale": "text", "body.email": "any", **CLAIMS},
              {"locale": "ru", "email": False}),
]


def token(role: str, claims: dict) -> str:
    base = {"sub": f"hostile-{role}", "role": role, "institution": "LUMC", "email": f"{role}@lumc.nl",
            "name": "Hostile Tester", "locale": "en", "exp": datetime.now(timezone.utc) + timedelta(hours=1)}
    return jwt.encode({**base, **claims}, DEVELOPMENT_JWT_SECRET, algorithm="HS256")


def placed(document, dotted: str, value):
    """A copy of `document` with `value` at the dotted place (list indexes as digits)."""
    document = copy.deepcopy(document)
    *parents, last = dotted.split(".")
    target = document
    for name in parents:
        target = target[int(name)] if isinstance(target, list) else target[name]
    if isinstance(target, list):
        target[int(last)] = value
    else:
        target[last] = value
    return document


def url_part(value) -> str:
    """A value as a URL carries it; a lone surrogate goes as its UTF-8-like bytes, as a client could send."""
    return quote(str(value).encode("utf-8", "surrogatepass"), safe="")


def table_contents(app) -> dict:
    """Every row of every table of a service's database, to compare before and after a refusal."""
    database = app.extensions["database"]
    metadata = app.extensions.setdefault("hostile_metadata", MetaData())
    if not metadata.tables:
        metadata.reflect(database.engine)
    with database.engine.connect() as connection:
        return {name: sorted(map(repr, connection.execute(select(table)))) for name, table in metadata.tables.items()}


@pytest.fixture(params=["sqlite", "postgresql"])
def system(request, service_app):
    """The three services on one kind of database, with a published course, open offerings, an enrolment."""
    database = (lambda: None) if request.param == "sqlite" else (
        lambda: request.getfixturevalue("postgres_database_factory")("hostile"))
    apps = {"catalogue": service_app("catalogue", database()),
            "enrolment": service_app("enrolment", database(), enrolment_rate_limit="100000/minute"),
            "notifications": service_app("notifications", database())}
    coordinator = {"Authorization": f"Bearer {token('coordinator', {})}"}
    catalogue = apps["catalogue"].test_client()
    course = catalogue.post("/api/v1/courses", json=course_payload(), headers=coordinator).get_json()
    catalogue.post(f"/api/v1/courses/{course['id']}/publish", headers=coordinator)
    offering = catalogue.post(f"/api/v1/courses/{course['id']}/offerings", json=offering_payload(),
                              headers=coordinator).get_json()
    cancellable = catalogue.post(f"/api/v1/courses/{course['id']}/offerings", json=offering_payload(),
                                 headers=coordinator).get_json()
    snapshot = offering_snapshot(capacity=3, coordinators=["hostile-coordinator"])
    with apps["enrolment"].extensions["database"].transaction() as session:
        apply_offering_snapshot(session, snapshot)
    enrolment = apps["enrolment"].test_client().post(
        "/api/v1/enrolments", json={"offering_id": snapshot["offering_id"]},
        headers={"Authorization": f"Bearer {token('student', {})}"}).get_json()
    ids = {"course": course["id"], "offering": offering["id"], "cancellable": cancellable["id"],
           "enrolment": enrolment["id"]}
    enrolment_ids = {**ids, "offering": snapshot["offering_id"]}
    return {"apps": apps, "ids": {"catalogue": ids, "enrolment": enrolment_ids, "notifications": ids}}


@st.composite
def hostile_requests(draw):
    operation = draw(st.sampled_from(OPERATIONS))
    place = draw(st.sampled_from(sorted(operation.places)))
    return operation, place, draw(VALUES[operation.places[place]])


def send(system, operation: Operation, place: str, value):
    """Send the operation's valid request with `value` put in at `place`; return the answer."""
    app = system["apps"][operation.service]
    ids = dict(system["ids"][operation.service])
    kind, _, name = place.partition(".")
    claims, query = {}, {}
    body = json.loads(json.dumps(operation.body).replace("{offering}", ids["offering"])) if operation.body else None
    if kind == "path":
        ids[name] = value
    elif kind == "query":
        query[name] = value
    elif kind == "claim":
        claims[name] = value
    elif kind == "body":
        body = placed(body, name, value) if name else value
    path = "/api/v1" + operation.path.format(**{key: url_part(item) for key, item in ids.items()})
    if query:
        path += "?" + "&".join(f"{key}={url_part(item)}" for key, item in query.items())
    headers = {"Authorization": f"Bearer {token(operation.role, claims)}"}
    client = app.test_client()
    if operation.if_match:
        current = client.get(path.split("?")[0], headers=headers)
        headers["If-Match"] = current.headers.get("ETag", '"1"')
    data = None if body is None else json.dumps(body)  # NaN and Infinity as Python writes them; lone surrogates escaped
    return client.open(path, method=operation.method, data=data, headers=headers,
                       content_type="application/json" if data is not None else None)


# The system is built once for all examples (the fixture's scope); each example checks its own answer.
@settings(max_examples=EXAMPLES, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large])
@given(request=hostile_requests())
def test_any_hostile_value_anywhere_is_answered_2xx_or_4xx_and_a_refusal_writes_nothing(system, request):
    operation, place, value = request
    app = system["apps"][operation.service]
    before = table_contents(app)
    answer = send(system, operation, place, value)
    event(f"{operation.method} {operation.path} {place}: {answer.status_code}")  # --hypothesis-show-statistics
    assert answer.status_code < 500, (operation.method, operation.path, place, answer.get_data(as_text=True)[:300])
    if answer.status_code >= 400:
        assert answer.mimetype == PROBLEM_MEDIA_TYPE and answer.get_json()["code"]
        assert table_contents(app) == before, f"{operation.method} {operation.path} wrote on {answer.status_code}"
    else:
        answer.get_json()  # valid JSON, whatever it holds
