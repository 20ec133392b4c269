"""Calls to the three services' HTTP APIs, with the signed-in person's bearer token."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping
from urllib.parse import quote

import httpx

from web.config import WebSettings


# An API path as its segments after /api/v1, e.g. ("courses", course_id, "offerings"): the client quotes each.
Path = tuple[str, ...]


class ServiceError(Exception):
    """A service refused the request: its problem+json `code`, `detail` and per-field `errors`."""

    def __init__(self, status: int, code: str, detail: str = "", errors: Mapping[str, Any] | None = None,
                 etag: str | None = None, retry_after: int | None = None):
        super().__init__(f"{status} {code}: {detail}")
        self.status = status
        self.code = code
        self.detail = detail
        self.errors = dict(errors or {})
        self.etag = etag
        self.retry_after = retry_after  # seconds, from a 429's Retry-After


class ServiceUnavailable(ServiceError):
    """A service could not be reached at all."""

    def __init__(self, service: str, reason: str):
        super().__init__(503, "service_unavailable", f"{service}: {reason}")
        self.service = service


@dataclass
class Answer:
    """A successful answer: its JSON (or text), ETag and the headers the pages use."""

    body: Any
    headers: Mapping[str, str] = field(default_factory=dict)

    @property
    def version(self) -> str | None:
        """The resource version from the ETag (`"3"` -> `3`), for If-Match on the next edit."""
        etag = self.headers.get("etag")
        return etag.strip('"') if etag else None


class Services:
    """One person's view of the three services for the length of a request."""

    def __init__(self, settings: WebSettings, token: str | None, http: httpx.Client,
                 correlation_id: str | None = None):
        self.base_urls = {"catalogue": settings.catalogue_url, "enrolment": settings.enrolment_url,
                          "notifications": settings.notifications_url}
        self.token = token
        self.http = http
        self.correlation_id = correlation_id

    def call(self, service: str, method: str, path: Path, *, json: Any = None, params: Mapping | None = None,
             headers: Mapping[str, str] | None = None) -> Answer:
        """Send one request to a service; return its answer or raise ServiceError."""
        sent_headers = {"Accept": "application/json", **(headers or {})}
        if self.token:
            sent_headers["Authorization"] = f"Bearer {self.token}"
        if self.correlation_id:
            sent_headers["X-Correlation-ID"] = self.correlation_id
        try:
            response = self.http.request(method, api_url(self.base_urls[service], path), json=json,
                                         params=params, headers=sent_headers)
        except httpx.HTTPError as exc:
            raise ServiceUnavailable(service, type(exc).__name__) from None
        if response.status_code >= 400:
            raise problem_of(response)
        is_json = response.headers.get("content-type", "").startswith("application/json")
        return Answer(response.json() if is_json else response.text, response.headers)

    def get(self, service: str, path: Path, **params) -> Answer:
        return self.call(service, "GET", path, params={k: v for k, v in params.items() if v not in (None, "")})

    def post(self, service: str, path: Path, json: Any = None, **kwargs) -> Answer:
        return self.call(service, "POST", path, json=json if json is not None else {}, **kwargs)

    def patch(self, service: str, path: Path, json: Any, version: str | int) -> Answer:
        return self.call(service, "PATCH", path, json=json, headers={"If-Match": f'"{version}"'})


def api_url(base_url: str, path: Path) -> str:
    """The URL of an API path, each segment quoted whole.

    Ids come from the page's address; quoted, one with "/", "?" or "#" stays one segment of the endpoint
    it was meant for instead of steering the call to another endpoint. Taking segments, never a joined
    string, is what makes every call quote them.
    """
    if isinstance(path, str):
        raise TypeError(f"give the API path as segments, not {path!r}, so that its ids are quoted")
    return f"{base_url}/api/v1/" + "/".join(quoted_segment(segment) for segment in path)


def quoted_segment(segment: str) -> str:
    """`segment` percent-encoded, dots too when it is "." or "..": httpx resolves those away as unquoted
    dot-segments ("courses/.." is the API's root), and quote() leaves dots alone."""
    quoted = quote(str(segment), safe="")
    return quoted.replace(".", "%2E") if set(quoted) == {"."} else quoted


def problem_of(response: httpx.Response) -> ServiceError:
    """Turn a service's problem+json (or anything else it answered) into a ServiceError."""
    try:
        body = response.json()
    except ValueError:
        body = {}
    if not isinstance(body, dict):
        body = {}
    return ServiceError(response.status_code, str(body.get("code") or f"http_{response.status_code}"),
                        str(body.get("detail") or ""), body.get("errors") if isinstance(body.get("errors"), dict)
                        else None, response.headers.get("etag"), seconds_to_wait(response.headers.get("retry-after")))


def seconds_to_wait(retry_after: str | None) -> int | None:
    """Retry-After as seconds; None when absent or an HTTP date (the services send seconds)."""
    return int(retry_after) if retry_after and retry_after.isascii() and retry_after.isdigit() else None
