"""Idempotency-Key: a repeated request gets the first answer, also when the repeats race."""

from __future__ import annotations

import hashlib
import json
from functools import wraps
from typing import Any, Callable

import marshmallow as ma
from flask import Response, current_app, request
from flask_smorest import Blueprint
from sqlalchemy.orm import Session

from enrolment.models import IdempotentRequest
from shared.db import insert_unless_present, utcnow
from shared.http.app import IDEMPOTENCY_KEY_PATTERN
from shared.http.auth import Principal, require_principal
from shared.http.database import current_database
from shared.http.errors import PROBLEM_MEDIA_TYPE, Problem
from shared.http.limits import count_attempt

# Refusals that decide nothing for good, so the key stays free: an offering unknown to enrolment may just
# not have arrived from the catalogue yet; too many attempts is about now, not about this request.
TRANSIENT_REFUSALS = {"offering_not_found", "rate_limited"}
IDEMPOTENCY_KEY_DOC = {"name": "Idempotency-Key", "in": "header", "required": False,
                       "schema": {"type": "string", "pattern": IDEMPOTENCY_KEY_PATTERN.pattern},
                       "description": "Repeats with the same key get the first answer instead of a second enrolment"}


def idempotent(schema: type[ma.Schema], *, status: int, attempts: str) -> Callable:
    """Decorate a view `(self, body, session)` that creates something: it runs in a transaction, counted
    against the rate limit `attempts`, and its answer is serialised with `schema`. With an
    Idempotency-Key, the first answer (or refusal) is stored with the work and a repeat gets it again:
    no second piece of work, and no second attempt counted."""

    serialise = schema().dump  # one schema for every answer: making one costs more than the dump

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(self, body):
            key = request.headers.get("Idempotency-Key")
            if key is None:
                with current_database().transaction() as session:
                    count_attempt(attempts)
                    created = view(self, body, session)
                # Serialised after the commit: the locks the view took are released sooner.
                return _json_response(status, serialise(created))
            with current_database().transaction() as session:

                def handle() -> tuple[int, dict]:
                    count_attempt(attempts)
                    return status, serialise(view(self, body, session))

                answer_status, answer = answer_once(session, require_principal(), key, body, handle)
            return _json_response(answer_status, answer)

        return Blueprint.doc(parameters=[IDEMPOTENCY_KEY_DOC])(wrapper)

    return decorator


def _json_response(status: int, body: dict) -> Response:
    response = current_app.json.response(body)
    response.status_code = status
    response.mimetype = "application/json" if status < 400 else PROBLEM_MEDIA_TYPE
    return response


def fingerprint(request_body: Any) -> str:
    return hashlib.sha256(json.dumps(request_body, sort_keys=True).encode()).hexdigest()


def answer_once(session: Session, person: Principal, key: str, request_body: Any,
                handle: Callable[[], tuple[int, dict]]) -> tuple[int, dict]:
    """Return the stored first answer to this key, or compute, store and return it.

    The key is claimed with an insert: a concurrent repeat waits on the unique key until the first
    request commits, then finds its answer. A refusal (a problem) is remembered too; only a crash,
    which rolls everything back, leaves the key free for the next try.
    """
    if not IDEMPOTENCY_KEY_PATTERN.match(key):
        raise Problem(400, "bad_idempotency_key", "Idempotency-Key must be 1 to 200 visible ASCII characters.")
    digest = fingerprint(request_body)
    claimed = insert_unless_present(session, IdempotentRequest.__table__, {
        "student_id": person.id, "key": key, "fingerprint": digest, "created_at": utcnow()})
    stored = session.get(IdempotentRequest, (person.id, key), populate_existing=True)
    if not claimed:
        if stored.fingerprint != digest:
            raise Problem(422, "idempotency_key_reused",
                          "This Idempotency-Key was used for a different request; use a new key.")
        return stored.status_code, stored.response
    savepoint = session.begin_nested()
    try:
        status, body = handle()
    except Problem as problem:
        savepoint.rollback()  # nothing of the refused attempt stays, but its answer does
        if problem.code in TRANSIENT_REFUSALS:
            raise  # the key is released with the transaction: a later repeat is decided afresh
        status, body = problem.status, problem.to_dict()
    else:
        savepoint.commit()
    stored.status_code, stored.response = status, body
    return status, body
