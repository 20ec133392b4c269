"""Calls to the three services' HTTP APIs, with the signed-in person's bearer token."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

import httpx

from web.config import WebSettings


class ServiceError(Exception):
    """A service refused the request: its problem+json `code`, `detail` and per-field `errors`."""

    def __init__(self, status: int, code: str, detail: str = "", errors: Mapping[str, Any] | None = None,
                 etag: str | None = None):
        super().__init__(f"{status} {code}: {detail}")
        self.status = status
        self.code = code
        self.detail = detail
        self.errors = dict(errors or {})
        self.etag = etag


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

    def call(self, service: str, method: str, path: str, *, json: Any = None, params: Mapping | None = None,
             headers: Mapping[str, str] | None = None) -> Answer:
        """Send one request to a service; return its answer or raise ServiceError."""
        sent_headers = {"Accept": "application/json", **(headers or {})}
        if self.token:
            sent_headers["Authorization"] = f"Bearer {self.token}"
        if self.correlation_id:
            sent_headers["X-Correlation-ID"] = self.correlation_id
        try:
            response = self.http.request(method, f"{self.base_urls[service]}/api/v1{path}", json=json,
                                         params=params, headers=sent_headers)
        except httpx.HTTPError as exc:
            raise ServiceUnavailable(service, type(exc).__name__) from None
        if response.status_code >= 400:
            raise problem_of(response)
        is_json = response.headers.get("content-type", "").startswith("application/json")
        return Answer(response.json() if is_json else response.text, response.headers)

    def get(self, service: str, path: str, **params) -> Answer:
        return self.call(service, "GET", path, params={k: v for k, v in params.items() if v not in (None, "")})

    def post(self, service: str, path: str, json: Any = None, **kwargs) -> Answer:
        return self.call(service, "POST", path, json=json if json is not None else {}, **kwargs)

    def patch(self, service: str, path: str, json: Any, version: str | int) -> Answer:
        return self.call(service, "PATCH", path, json=json, headers={"If-Match": f'"{version}"'})


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
                        else None, response.headers.get("etag"))
