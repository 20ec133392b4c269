"""Bearer-token authentication (PyJWT, HS256 with JWT_SECRET) and role checks for views."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import wraps
from typing import Callable

import jwt
from flask import current_app, g, request
from flask_smorest import Blueprint

from shared.errors import Problem

ROLES = ("student", "coordinator", "admin")
INSTITUTIONS = ("LUMC", "SSMU")
LOCALES = ("en", "ru")
ALGORITHM = "HS256"
LEEWAY_SECONDS = 30
# What the services store of a person: longer claims are refused rather than cut.
CLAIM_LENGTHS = {"sub": 64, "email": 254, "name": 200}

BEARER_SECURITY = [{"bearerAuth": []}]
BEARER_SCHEME = {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}


@dataclass(frozen=True)
class Principal:
    """The person behind a verified token."""

    id: str
    role: str
    institution: str
    email: str
    name: str
    locale: str

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def as_person(self) -> dict[str, str]:
        """Return who this is in the shape events carry (DESIGN section 5)."""
        return {"id": self.id, "email": self.email, "name": self.name, "locale": self.locale}


def mint_token(secret: str, *, sub: str, role: str, institution: str, email: str, name: str,
               locale: str = "en", ttl: timedelta = timedelta(hours=12)) -> str:
    """Sign a development token with the claims of DESIGN section 4."""
    now = datetime.now(timezone.utc)
    claims = {"sub": sub, "role": role, "institution": institution, "email": email,
              "name": name, "locale": locale, "iat": now, "exp": now + ttl}
    _check_claims(claims)
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def verify_token(token: str, secret: str) -> Principal:
    """Return the principal of a valid token; raise a 401 Problem for anything else."""
    try:
        claims = jwt.decode(token, secret, algorithms=[ALGORITHM], leeway=LEEWAY_SECONDS,
                            options={"require": ["exp", "sub"]})
    except jwt.ExpiredSignatureError:
        raise _unauthorized("The token has expired; sign in again.") from None
    except jwt.InvalidTokenError as exc:
        raise _unauthorized(f"The token is not valid: {exc}.") from None
    try:
        _check_claims(claims)
    except ValueError as exc:
        raise _unauthorized(f"The token's claims are not valid: {exc}.") from None
    return Principal(id=str(claims["sub"]), role=claims["role"], institution=claims["institution"],
                     email=claims["email"], name=claims["name"], locale=claims.get("locale") or "en")


def _check_claims(claims: dict) -> None:
    if claims.get("role") not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    if claims.get("institution") not in INSTITUTIONS:
        raise ValueError(f"institution must be one of {', '.join(INSTITUTIONS)}")
    if claims.get("locale", "en") not in LOCALES:
        raise ValueError(f"locale must be one of {', '.join(LOCALES)}")
    for name, longest in CLAIM_LENGTHS.items():
        if not isinstance(claims.get(name), str) or not claims[name]:
            raise ValueError(f"{name} is required")
        if len(claims[name]) > longest:
            raise ValueError(f"{name} is longer than {longest} characters")


def _unauthorized(detail: str) -> Problem:
    return Problem(401, "unauthorized", detail, headers={"WWW-Authenticate": 'Bearer realm="course-exchange"'})


def current_principal() -> Principal | None:
    """Return the caller's principal if the request carries a valid token, else None.

    A token that is present but invalid is refused with 401 rather than ignored.
    """
    if "principal" not in g:
        header = request.headers.get("Authorization", "")
        if not header:
            g.principal = None
        else:
            scheme, _, token = header.partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                raise _unauthorized("Send the token as 'Authorization: Bearer <token>'.")
            g.principal = verify_token(token.strip(), current_app.config["JWT_SECRET"])
    return g.principal


def require_principal() -> Principal:
    """Return the caller's principal or refuse the request with 401."""
    principal = current_principal()
    if principal is None:
        raise _unauthorized("This needs a bearer token.")
    return principal


def requires(*roles: str) -> Callable:
    """Decorate a view: a valid token is needed, and with `roles` one of those roles."""
    unknown = set(roles) - set(ROLES)
    if unknown:
        raise ValueError(f"unknown roles {unknown}")

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(*args, **kwargs):
            principal = require_principal()
            if roles and principal.role not in roles:
                raise Problem(403, "forbidden", f"This needs the role {' or '.join(roles)}.")
            return view(*args, **kwargs)

        return Blueprint.doc(security=BEARER_SECURITY)(wrapper)

    return decorator
