"""Destructive actions run only from their confirmation page's form, which sends `confirm=yes`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import g, request

from web.client import ServiceError, Services
from web.problems import problem_message

REASON_LENGTH = 1000


@dataclass
class Confirmed:
    """What became of a confirmation page's request: done (and the service's answer), refused (and why),
    or only asked."""

    done: bool = False
    problem: str | None = None
    reason: str = ""  # the reason typed for the people told, kept on the page if the action is refused
    answer: Any = None


def post_if_confirmed(services: Services, path: tuple[str, ...], *, service: str = "catalogue",
                      body: dict | None = None) -> Confirmed:
    """POST `body` (by default `{"reason": …}` as typed) to the service at `path` if the page's form confirmed
    it. A refusal is kept to show on the page again (with the reason typed); only an expired session leaves
    the page."""
    outcome = Confirmed(reason=request.form.get("reason", "").strip()[:REASON_LENGTH])
    if request.method != "POST" or request.form.get("confirm") != "yes":
        return outcome
    try:
        outcome.answer = services.post(service, path, body if body is not None
                                       else {"reason": outcome.reason or None}).body
    except ServiceError as error:
        if error.status == 401:
            raise
        outcome.problem = problem_message(error, g.locale)
        return outcome
    outcome.done = True
    return outcome
