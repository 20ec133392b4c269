"""RFC 9457 problem details for every error a service answers, with a stable `code`."""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any, Callable, Mapping

import marshmallow as ma
from flask import Flask, Response, json
from flask_smorest import Blueprint
from sqlalchemy.exc import DBAPIError
from werkzeug.exceptions import HTTPException

from shared.db import is_database_outage

log = logging.getLogger(__name__)

PROBLEM_MEDIA_TYPE = "application/problem+json"

# The code of a problem raised by Flask, werkzeug or webargs rather than by our own code.
DEFAULT_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    412: "version_conflict",
    413: "payload_too_large",
    414: "uri_too_long",
    415: "unsupported_media_type",
    422: "validation_error",
    428: "precondition_required",
    429: "rate_limited",
    500: "internal_error",
    503: "unavailable",
}


# The problems any service may answer, by code: (status, when). Services add their own domain codes.
GENERAL_PROBLEMS: Mapping[str, tuple[int, str]] = {
    "malformed_json": (400, "the body is not valid JSON, or nested too deeply"),
    "unauthorized": (401, "the bearer token is missing, expired, forged or has invalid claims"),
    "forbidden": (403, "your role or institution may not do this"),
    "payload_too_large": (413, "the body is larger than MAX_BODY_BYTES"),
    "uri_too_long": (414, "the path and query are longer than 4096 characters"),
    "unsupported_media_type": (415, "the body is not application/json"),
    "validation_error": (422, "fields are missing, unknown or invalid; `errors` says which"),
    "precondition_required": (428, "If-Match is missing"),
    "version_conflict": (412, "If-Match names a version other than the current one"),
    "rate_limited": (429, "too many attempts; Retry-After says when to try again"),
    "unavailable": (503, "the service's database cannot be reached; Retry-After says when to try again"),
}
RETRY_AFTER_SECONDS = 5  # for outages we expect to pass: the database, the identity provider


class Problem(Exception):
    """An error answered as problem+json; raise it from views and domain functions alike."""

    def __init__(self, status: int, code: str, detail: str, *, errors: Mapping[str, Any] | None = None,
                 headers: Mapping[str, str] | None = None):
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail
        self.errors = errors
        self.headers = dict(headers or {})

    def to_dict(self) -> dict[str, Any]:
        body = {"type": problem_type(self.code), "title": HTTPStatus(self.status).phrase,
                "status": self.status, "detail": self.detail, "code": self.code}
        if self.errors:
            body["errors"] = self.errors
        return body


class ProblemSchema(ma.Schema):
    """Problem details (RFC 9457) with the machine-readable `code` clients switch on."""

    type = ma.fields.String(metadata={"description": "URI naming the kind of problem"})
    title = ma.fields.String(metadata={"description": "Short summary of the HTTP status"})
    status = ma.fields.Integer(metadata={"description": "HTTP status code"})
    detail = ma.fields.String(metadata={"description": "What went wrong, for a person"})
    code = ma.fields.String(metadata={"description": "Stable machine-readable error code"})
    errors = ma.fields.Dict(metadata={"description": "Messages per field, for validation errors"})


def documents_problems(known: Mapping[str, tuple[int, str]], *codes: str) -> Callable:
    """Decorate a view: document that it may answer these problem codes, grouped by status.

    The codes accumulate over several decorators, so each status lists every code it stands for.
    """
    unknown = set(codes) - set(known)
    if unknown:
        raise ValueError(f"undocumented problem codes {sorted(unknown)}")

    def decorator(view: Callable) -> Callable:
        documented = {**getattr(view, "_problems", {}), **{code: known[code] for code in codes}}
        view = Blueprint.doc(responses=_problem_responses(documented))(view)
        view._problems = documented
        return view

    return decorator


def _problem_responses(problems: Mapping[str, tuple[int, str]]) -> dict[str, dict]:
    by_status: dict[int, list[str]] = {}
    for code, (status, when) in problems.items():
        by_status.setdefault(status, []).append(f"`{code}`: {when}")
    return {str(status): {"description": "; ".join(lines),
                          "content": {PROBLEM_MEDIA_TYPE: {"schema": ProblemSchema}}}
            for status, lines in sorted(by_status.items())}


def problem_type(code: str) -> str:
    return f"urn:course-exchange:problem:{code}"


def problem_response(problem: Problem) -> Response:
    response = Response(json.dumps(problem.to_dict(), ensure_ascii=False), status=problem.status,
                        mimetype=PROBLEM_MEDIA_TYPE)
    response.headers.update(problem.headers)
    return response


def problem_from_http_exception(error: HTTPException) -> Problem:
    """Translate werkzeug's and webargs' exceptions into our problem shape."""
    status = error.code or 500
    data = getattr(error, "data", None) or {}
    if isinstance(getattr(error, "original_exception", None), Problem):
        return error.original_exception
    # werkzeug's own headers matter (Allow on 405, Retry-After on 503); its Content-Type does not.
    headers = {name: value for name, value in error.get_headers() if name.lower() != "content-type"}
    headers.update(data.get("headers") or {})
    messages = data.get("errors") or data.get("messages")
    if status == 422 and messages:
        return Problem(422, "validation_error", "The request has invalid fields; see errors.",
                       errors=_flatten_locations(messages), headers=headers)
    detail = data.get("message") or _public_description(error, status)
    return Problem(status, DEFAULT_CODES.get(status, HTTPStatus(status).name.lower()), detail, headers=headers)


def _public_description(error: HTTPException, status: int) -> str:
    if status >= 500:
        return "Something went wrong on our side; it has been logged."
    return error.description or HTTPStatus(status).description


def _flatten_locations(messages: Mapping[str, Any]) -> Mapping[str, Any]:
    """webargs keys messages by location ({"json": {...}}); clients want the fields."""
    if len(messages) == 1:
        (inner,) = messages.values()
        if isinstance(inner, Mapping):
            return inner
    return messages


def register_error_handlers(app: Flask) -> None:
    """Answer every error of the app, expected or not, as problem+json."""

    @app.errorhandler(Problem)
    def handle_problem(problem: Problem):
        return problem_response(problem)

    @app.errorhandler(HTTPException)
    def handle_http_exception(error: HTTPException):
        return problem_response(problem_from_http_exception(error))

    @app.errorhandler(DBAPIError)
    def handle_database_error(error: DBAPIError):
        if not is_database_outage(error):
            raise error  # a wrong statement is our bug: a logged 500, not a reason to retry
        log.warning("database unavailable: %s", type(error.orig).__name__)
        return problem_response(Problem(503, "unavailable", "The service's database cannot be reached; try again.",
                                        headers={"Retry-After": str(RETRY_AFTER_SECONDS)}))

    @app.errorhandler(ma.ValidationError)
    def handle_domain_validation_error(error: ma.ValidationError):
        # Domain rules over several fields (e.g. a merged PATCH) use marshmallow's error too.
        return problem_response(Problem(422, "validation_error", "The request has invalid fields; see errors.",
                                        errors=error.normalized_messages()))
