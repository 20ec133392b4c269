"""Idempotency-Key: a repeated request gets the first answer, also when the repeats race."""

from __future__ import annotations

import hashlib
import json
from typing import Any, Callable

from sqlalchemy.orm import Session

from enrolment.models import IdempotentRequest
from shared.http.auth import Principal
from shared.db import insert_unless_present, utcnow
from shared.http.errors import Problem
from shared.http.app import IDEMPOTENCY_KEY_PATTERN

# Refusals that decide nothing for good, so the key stays free: an offering unknown to enrolment may just
# not have arrived from the catalogue yet; too many attempts is about now, not about this request.
TRANSIENT_REFUSALS = {"offering_not_found", "rate_limited"}


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
