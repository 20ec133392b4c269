"""The web front end in tests: wired straight into the services' WSGI apps, and used as a browser would."""

from __future__ import annotations

import html
import re
from pathlib import Path

import httpx
from sqlalchemy import select

from enrolment.handlers import HANDLERS as ENROLMENT_HANDLERS
from shared.messaging.consumer import handle_event
from shared.messaging.envelope import Event
from shared.messaging.outbox import OutboxMessage
from tests.support.payloads import seeded_events
from web.app import create_app
from web.config import WebSettings

SERVICE_URLS = {"catalogue_url": "http://catalogue.test", "enrolment_url": "http://enrolment.test",
                "notifications_url": "http://notifications.test"}


def front_end(services, **settings):
    """The front end with its HTTP calls routed straight into the services' WSGI apps; its demo sessions are
    kept beside the catalogue's database."""
    mounts = {f"http://{name}.test": httpx.WSGITransport(app=app) for name, app in services.items()}
    data_dir = Path(services["catalogue"].extensions["database"].engine.url.database).parent
    app = create_app(WebSettings(**{**SERVICE_URLS, "session_dir": data_dir / "web-sessions", **settings}),
                     http_mounts=mounts)
    app.config["TESTING"] = True
    return app


def with_enrolment(service_app, **enrolment_settings) -> dict:
    """The real catalogue (seeded), enrolment and notification apps; enrolment has been told of the seeded
    offerings as its consumer would have been, by handling the catalogue's outbox events."""
    catalogue, enrolment = service_app("catalogue"), service_app("enrolment", **enrolment_settings)
    for event in seeded_events(catalogue.extensions["database"]):
        handle_event(enrolment.extensions["database"], ENROLMENT_HANDLERS, event)
    return {"catalogue": catalogue, "enrolment": enrolment, "notifications": service_app("notifications")}


def csrf_token(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def sign_in(client, person: str) -> None:
    token = csrf_token(client.get("/signin").text)
    answer = client.post("/signin", data={"person": person, "csrf_token": token})
    assert answer.status_code == 302


def submit(client, path: str, data: dict, form_page: str | None = None):
    """Post a form the way the browser would: with the CSRF token of the page it was on."""
    page = client.get(form_page or path).text
    return client.post(path, data={"csrf_token": csrf_token(page), **data})


def person(apps, who: str):
    """A browser session of one of the demo people (e.g. "lumc-coordinator"), signed in."""
    client = front_end(apps).test_client()
    sign_in(client, who)
    return client


def first_offering(client) -> tuple[str, str]:
    """The path of the first course on the home page and the id of its first offering."""
    path = re.search(r'href="(/courses/[\w-]+)"', client.get("/").text).group(1)
    return path, re.search(r'data-seats-for="([\w-]+)"', client.get(path).text).group(1)


def deliver_catalogue_events(apps) -> None:
    """Hand enrolment the catalogue's events as its consumer would (repeats are skipped by its inbox)."""
    with apps["catalogue"].extensions["database"].transaction() as session:
        bodies = list(session.scalars(select(OutboxMessage.body).order_by(OutboxMessage.id)))
    for body in bodies:
        handle_event(apps["enrolment"].extensions["database"], ENROLMENT_HANDLERS, Event.from_json(body))


def edit_offering(coordinator, offering_id: str, **changes: str):
    """Save the offering's edit form as it stands but for `changes`; return the answer. The choices a form
    scrape cannot read back are given: the waiting list on, first come, automatic promotion."""
    edit = f"/manage/offerings/{offering_id}/edit"
    page = coordinator.get(edit).text
    fields = {name: html.unescape(value)
              for name, value in re.findall(r'name="(\w+)" type="[\w-]+" value="([^"]*)"', page)}
    return coordinator.post(edit, data={
        **fields, "waitlist": "on", "admission": "first_come", "promotion": "automatic", **changes,
        "csrf_token": csrf_token(page), "version": re.search(r'name="version" value="(\d+)"', page).group(1)})
