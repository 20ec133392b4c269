"""Optimistic concurrency over HTTP: an ETag from a version, and If-Match required for edits."""

from __future__ import annotations

import re
from functools import wraps
from typing import Callable

from flask import request
from flask_smorest import Blueprint

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
