"""Development tokens for the demo people of the embedded default."""

from __future__ import annotations

from datetime import timedelta

from shared.http.auth import mint_token

DEMO_NAMES = {
    ("LUMC", "student"): ("Sanne de Vries", "en"),
    ("SSMU", "student"): ("Анна Смирнова", "ru"),
    ("LUMC", "coordinator"): ("Dr. Pieter Jansen", "en"),
    ("SSMU", "coordinator"): ("Д-р Ирина Петрова", "ru"),
    ("LUMC", "staff"): ("Dr. Eva Visser", "en"),
    ("SSMU", "staff"): ("Олег Кузнецов", "ru"),
    ("LUMC", "admin"): ("LUMC exchange office", "en"),
    ("SSMU", "admin"): ("Международный отдел СибГМУ", "ru"),
}
EMAIL_DOMAINS = {"LUMC": "lumc.nl", "SSMU": "ssmu.ru"}


def demo_token(secret: str, *, role: str, institution: str, sub: str | None = None, name: str | None = None,
               email: str | None = None, locale: str | None = None, hours: float = 12,
               issuer: str | None = None, audience: str | None = None) -> str:
    """Mint a token for a demo person, filling in whatever the caller left out."""
    default_name, default_locale = DEMO_NAMES[(institution, role)]
    sub = sub or f"{institution.lower()}-{role}"
    return mint_token(secret, sub=sub, role=role, institution=institution,
                      email=email or f"{sub}@{EMAIL_DOMAINS[institution]}", name=name or default_name,
                      locale=locale or default_locale, ttl=timedelta(hours=hours), issuer=issuer,
                      audience=audience)
