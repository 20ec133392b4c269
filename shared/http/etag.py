"""Versions over HTTP: an ETag from a version and If-Match required for edits (optimistic concurrency);
anonymous reads answered from a cache of the data's version, with ETag and 304 (conditional GET)."""

from __future__ import annotations

import hashlib
import re
from functools import wraps
from typing import Callable

from cachelib import SimpleCache
from flask import Response, current_app, request
from flask_smorest import Blueprint
from sqlalchemy import Executable

from shared.http.database import current_database
from shared.http.errors import GENERAL_PROBLEMS, Problem, documents_problems

ENTITY_TAG = re.compile(r'"([0-9]{1,9})"', re.ASCII)  # a strong tag of a version, as etag_for writes it
IF_MATCH_HEADER_DOC = {
    "name": "If-Match", "in": "header", "required": True,
    "schema": {"type": "string", "pattern": r'^(\*|"[0-9]{1,9}")$'},
    "description": "The ETag of the version your edit is based on (or `*` for whatever is current)",
}


def etag_for(version: int) -> str:
    """Return the strong entity tag of a version."""
    return f'"{version}"'


def version_headers(version: int) -> dict[str, str]:
    return {"ETag": etag_for(version)}


def required_version() -> int | None:
    """Return the version the client's If-Match names (None for `*`); 428 without one."""
    header = request.headers.get("If-Match", "").strip()
    if not header:
        raise Problem(428, "precondition_required",
                      "Send If-Match with the ETag you read, so that no one's edit is silently lost.")
    if header == "*":
        return None
    version = ENTITY_TAG.fullmatch(header.split(",")[0].strip())
    if version is None:
        raise Problem(412, "version_conflict", f"If-Match {header[:80]!r} names no version of this resource.")
    return int(version.group(1))


def if_match_required(view: Callable) -> Callable:
    """Decorate an edit: If-Match is read (428, 412) before the body, documented, and the version it
    names is passed to the view as `expected_version` (None for `*`)."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        return view(*args, expected_version=required_version(), **kwargs)

    documented = Blueprint.doc(parameters=[IF_MATCH_HEADER_DOC])(wrapper)
    return documents_problems(GENERAL_PROBLEMS, "precondition_required", "version_conflict")(documented)


def check_version(expected: int | None, current: int, what: str) -> None:
    """Refuse an edit based on a version other than the current one."""
    if expected is not None and expected != current:
        raise Problem(412, "version_conflict",
                      f"The {what} changed since you read it (you had version {expected}, it is now "
                      f"version {current}); reload it and apply your edit again.",
                      headers=version_headers(current))


ANSWER_CACHE_ENTRIES = 1000  # per app: answers of many searches, a few hundred bytes to some kB each


def cached_for_anonymous(version: Executable, *, max_age: int) -> Callable:
    """Decorate a GET view whose answer depends only on the data's version and the request's address.

    An anonymous request costs one statement, `version` (one round trip outside any transaction:
    Database.read_value): 304 if its If-None-Match names the answer it
    would get, else the answer kept in this process for that version and address, else the view's
    answer, kept. An answer to a token is personal: the view answers it, never cached (no-store).
    Answers of older versions are never served (the key holds the version) and age out of the cache,
    which each app keeps for itself (its own database).
    """

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(*args, **kwargs):
            if "Authorization" in request.headers:
                return view(*args, **kwargs)
            address = request.full_path.encode("utf-8", "surrogatepass")
            tag = f'"{current_database().read_value(version)}-{hashlib.blake2b(address, digest_size=12).hexdigest()}"'
            headers = {"ETag": tag, "Cache-Control": f"public, max-age={max_age}", "Vary": "Authorization"}
            if tag in (value.strip() for value in request.headers.get("If-None-Match", "").split(",")):
                return Response(status=304, headers=headers)
            cache = current_app.extensions.setdefault("answers_by_version",
                                                      SimpleCache(threshold=ANSWER_CACHE_ENTRIES, default_timeout=0))
            kept = cache.get(tag)
            if kept is None:
                answer = view(*args, **kwargs)
                if answer.status_code != 200:
                    return answer
                own = {name: value for name, value in answer.headers if name not in ("Content-Type", "Content-Length")}
                kept = (answer.get_data(), answer.mimetype, {**own, **headers})
                cache.set(tag, kept)
            body, mimetype, kept_headers = kept
            return Response(body, status=200, mimetype=mimetype, headers=kept_headers)

        return wrapper

    return decorator
