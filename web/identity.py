"""Who is using the front end: a demo person's development token, or the identity provider's token."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from flask import Request, current_app, session

from shared.http.auth import INSTITUTIONS, Principal, TokenVerifier
from shared.http.demo_tokens import DEMO_NAMES, demo_token
from shared.http.errors import Problem
from web.config import WebSettings

# The people of the sign-in page: students, visiting staff and coordinators of both institutions.
DEMO_PEOPLE = tuple((institution, role) for (institution, role) in DEMO_NAMES
                    if role in ("student", "staff", "coordinator"))
SESSION_ID = "session_id"


@dataclass(frozen=True)
class Identity:
    """A signed-in person and the bearer token the services will see."""

    principal: Principal
    token: str

    @property
    def is_student(self) -> bool:
        return self.principal.role == "student"

    @property
    def takes_part(self) -> bool:
        """Students, and visiting staff (who apply for research visits): they hold seats and applications."""
        return self.principal.role in ("student", "staff")

    @property
    def manages_courses(self) -> bool:
        return self.principal.role in ("coordinator", "admin")

    def may_edit(self, course: Mapping[str, Any]) -> bool:
        """The catalogue's rule (catalogue.operations.may_edit): admins edit every course, coordinators
        those of their institution or naming them. Pages offer editing only where it would succeed."""
        if self.principal.is_admin:
            return True
        return self.principal.role == "coordinator" and (
            course.get("institution") == self.principal.institution
            or self.principal.id in (course.get("coordinators") or []))

    @property
    def institutions(self) -> tuple[str, ...]:
        """The institutions this person may create courses for."""
        return INSTITUTIONS if self.principal.is_admin else (self.principal.institution,)


def demo_person_key(institution: str, role: str) -> str:
    return f"{institution.lower()}-{role}"


def demo_people() -> list[dict[str, str]]:
    """The demo people to choose from, with the user id their token will carry."""
    return [{"key": demo_person_key(institution, role), "institution": institution, "role": role,
             "name": DEMO_NAMES[(institution, role)][0]} for institution, role in DEMO_PEOPLE]


def mint_demo_token(settings: WebSettings, key: str) -> str | None:
    """Mint the development token of a demo person (as `python -m services token`); None for an unknown key."""
    for institution, role in DEMO_PEOPLE:
        if demo_person_key(institution, role) == key:
            return demo_token(settings.jwt_secret, role=role, institution=institution, issuer=settings.jwt_issuer,
                              audience=settings.jwt_audience)
    return None


def presented_token(settings: WebSettings, request: Request) -> str | None:
    """The token of this request: the trusted proxy's header where the identity provider signs people
    in (production, or JWKS_URL set), the session's demo sign-in otherwise."""
    if not settings.demo_sign_in:
        return request.headers.get(settings.token_header) or None
    return current_app.extensions["session_tokens"].token_of(session.get(SESSION_ID))


def end_session() -> None:
    """Forget the session here and in the server's store, so that no copy of its cookie signs anyone in."""
    tokens = current_app.extensions.get("session_tokens")
    if tokens is not None:
        tokens.end(session.get(SESSION_ID))
    session.clear()


def identify(verifier: TokenVerifier, token: str | None) -> Identity | None:
    """Verify the token as the services will, so pages never offer what the services would refuse."""
    if not token:
        return None
    try:
        return Identity(verifier.verify(token), token)
    except Problem:
        return None
