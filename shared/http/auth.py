"""Bearer-token authentication and role checks for views.

Tokens are verified with PyJWT: HS256 with JWT_SECRET (the embedded default, and development tokens),
or, in production, RS256 against the identity provider's JWKS (keys cached, rotated keys fetched on
first sight of their `kid`). Only the one configured algorithm is accepted, so neither `alg: none`
nor an HS256 token signed with the provider's public key gets in.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from functools import wraps
from typing import Callable

import jwt
from flask import current_app, g, request
from flask_smorest import Blueprint

from shared.http.errors import GENERAL_PROBLEMS, RETRY_AFTER_SECONDS, Problem, documents_problems
from shared.http.text import CONTROL, UNSTORABLE, is_blank

# staff: visiting staff and PhD researchers, who apply for research visits (DESIGN section 4).
ROLES = ("student", "coordinator", "admin", "staff")
INSTITUTIONS = ("LUMC", "SSMU")
LOCALES = ("en", "ru")
ALGORITHM = "HS256"
JWKS_ALGORITHM = "RS256"
LEEWAY_SECONDS = 30
# What the services store of a person: longer claims are refused rather than cut.
CLAIM_LENGTHS = {"sub": 64, "email": 254, "name": 200}
# A token is good for a working day at most: one that lives for centuries is a stolen key waiting to happen.
MAX_TOKEN_LIFETIME = timedelta(hours=24)
# A verified token is remembered by the process for this long at most (and never past its expiry), so a
# person's every request does not pay for the signature again; a key withdrawn from the JWKS stops
# admitting its tokens within the JWKS cache's lifespan plus this time.
VERIFIED_TOKEN_SECONDS = 60
VERIFIED_TOKENS_KEPT = 4096
# Exactly one address, the plain `local@domain` form mail is sent to: no display name, no list, no comments.
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
EMAIL_ADDRESS = re.compile(rf"{_ATOM}(?:\.{_ATOM})*@{_LABEL}(?:\.{_LABEL})+")

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
               locale: str = "en", ttl: timedelta = timedelta(hours=12), issuer: str | None = None,
               audience: str | None = None) -> str:
    """Sign a development token with the claims of DESIGN section 4."""
    if ttl > MAX_TOKEN_LIFETIME:
        raise ValueError(f"a token lives {MAX_TOKEN_LIFETIME.total_seconds() / 3600:g} hours at most")
    now = datetime.now(timezone.utc)
    claims = {"sub": sub, "role": role, "institution": institution, "email": email,
              "name": name, "locale": locale, "iat": now, "exp": now + ttl}
    claims.update({name: value for name, value in (("iss", issuer), ("aud", audience)) if value})
    _check_claims(claims)
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


@dataclass(frozen=True)
class TokenVerifier:
    """Verifies bearer tokens the way one service's settings say: a shared secret or a JWKS."""

    secret: str | None = None
    jwks: jwt.PyJWKClient | None = None
    issuer: str | None = None
    audience: str | None = None
    clock: Callable[[], float] = field(default=time.time, compare=False, repr=False)
    # token -> (principal, until when it is remembered, Unix time)
    _verified: dict[str, tuple[Principal, float]] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_settings(cls, settings) -> "TokenVerifier":
        if settings.jwks_url:
            jwks = jwt.PyJWKClient(settings.jwks_url, lifespan=settings.jwks_cache_seconds,
                                   cooldown_duration=settings.jwks_cooldown_seconds, timeout=5)
            return cls(jwks=jwks, issuer=settings.jwt_issuer, audience=settings.jwt_audience)
        return cls(secret=settings.jwt_secret, issuer=settings.jwt_issuer, audience=settings.jwt_audience)

    def verify(self, token: str) -> Principal:
        """Return the principal of a valid token; raise a 401 Problem for anything else."""
        now = self.clock()
        principal, until = self._verified.get(token, (None, now))
        if until > now:
            return principal
        principal, expires = self._verify_signed(token)
        if len(self._verified) >= VERIFIED_TOKENS_KEPT:
            self._verified.clear()  # forgetting all at once costs nothing per token; each is verified again once
        self._verified[token] = (principal, min(now + VERIFIED_TOKEN_SECONDS, expires + LEEWAY_SECONDS))
        return principal

    def _verify_signed(self, token: str) -> tuple[Principal, float]:
        """Return the principal of a valid token and its expiry (Unix time), checking the signature."""
        try:
            key, algorithm = self._key_for(token)
            claims = jwt.decode(token, key, algorithms=[algorithm], leeway=LEEWAY_SECONDS,
                                issuer=self.issuer, audience=self.audience,
                                options={"require": ["exp", "sub"], "verify_aud": self.audience is not None})
        except jwt.ExpiredSignatureError:
            raise _unauthorized("The token has expired; sign in again.") from None
        except jwt.PyJWKClientConnectionError:
            raise Problem(503, "unavailable", "The identity provider's keys cannot be fetched; try again.",
                          headers={"Retry-After": str(RETRY_AFTER_SECONDS)}) from None
        except jwt.PyJWTError as exc:
            raise _unauthorized(f"The token is not valid: {exc}.") from None
        try:
            _check_lifetime(claims)
            _check_claims(claims)
        except ValueError as exc:
            raise _unauthorized(f"The token's claims are not valid: {exc}.") from None
        return Principal(id=str(claims["sub"]), role=claims["role"], institution=claims["institution"],
                         email=claims["email"], name=claims["name"], locale=claims.get("locale") or "en"), claims["exp"]

    def _key_for(self, token: str):
        if self.jwks is None:
            return self.secret, ALGORITHM
        return self.jwks.get_signing_key_from_jwt(token), JWKS_ALGORITHM


def _check_claims(claims: dict) -> None:
    if claims.get("role") not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    if claims.get("institution") not in INSTITUTIONS:
        raise ValueError(f"institution must be one of {', '.join(INSTITUTIONS)}")
    if claims.get("locale", "en") not in LOCALES:
        raise ValueError(f"locale must be one of {', '.join(LOCALES)}")
    for name, longest in CLAIM_LENGTHS.items():
        if not isinstance(claims.get(name), str) or is_blank(claims[name]):
            raise ValueError(f"{name} is required")
        if len(claims[name]) > longest:
            raise ValueError(f"{name} is longer than {longest} characters")
        if CONTROL.search(claims[name]) or UNSTORABLE.search(claims[name]):
            raise ValueError(f"{name} holds control characters or unpaired surrogates")
    if not EMAIL_ADDRESS.fullmatch(claims["email"]):
        raise ValueError("email must be exactly one address, like name@example.org")


def _check_lifetime(claims: dict) -> None:
    """Refuse a token whose expiry lies further ahead than any token we accept may live."""
    latest = datetime.now(timezone.utc).timestamp() + MAX_TOKEN_LIFETIME.total_seconds() + LEEWAY_SECONDS
    if not isinstance(claims["exp"], (int, float)) or claims["exp"] > latest:  # compared, not subtracted: exact
        raise ValueError(f"it lives longer than {MAX_TOKEN_LIFETIME.total_seconds() / 3600:g} hours")


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
            g.principal = current_app.extensions["token_verifier"].verify(token.strip())
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

        refusals = ("unauthorized", "forbidden") if roles else ("unauthorized",)
        return documents_problems(GENERAL_PROBLEMS, *refusals)(Blueprint.doc(security=BEARER_SECURITY)(wrapper))

    return decorator
