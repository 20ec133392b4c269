"""The web front end's Flask app: pages over the three services, sessions, CSRF, languages, headers."""

from __future__ import annotations

import logging
from typing import Mapping

import httpx
from flask import Flask, flash, g, redirect, render_template, request, url_for
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.exceptions import HTTPException

from shared.http.app import STRICT_TRANSPORT_SECURITY, install_correlation_ids
from shared.http.auth import TokenVerifier
from shared.logs import configure_logging, current_correlation_id
from web.client import ServiceError, Services
from web.config import WebSettings
from web.enrolments import pool_lines, seats_summary, unread_count
from web.forms import FIELD_LABELS
from web.highlight import highlight
from web.own_links import link_own_pages
from web.i18n import N_, gettext, gettext_in, install_gettext
from web.identity import end_session, identify, presented_token
from web.language import choose_locale, localised, long_date
from web.names import (HISTORY_ACTIONS, HISTORY_FIELDS, LEVELS, ROLES, change_value, language_name, named,
                       status_name, term_name, topic_name)
from web.problems import error_page_status, field_errors_text, problem_message
from web.sessions import SessionTokens
from web.timezones import local_time, reader_zone, zone_name

csrf = CSRFProtect()

SECURITY_HEADERS = {
    # No inline script or style anywhere: the pages load /static files only.
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                               "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}


def create_app(settings: WebSettings | None = None, *, http_mounts: Mapping[str, httpx.BaseTransport] | None = None
               ) -> Flask:
    """Build the front end; `http_mounts` routes service URLs to other transports (tests run services in-process)."""
    settings = settings or WebSettings.from_env()
    settings.check()
    configure_logging("web", "INFO")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per service call drowns the useful ones
    app = Flask("web")
    app.config.update(
        SECRET_KEY=settings.secret_key,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.is_production,
        SESSION_COOKIE_NAME="exchange_session",
        WTF_CSRF_TIME_LIMIT=None,  # bound to the session instead; a form left open for hours still works
        MAX_CONTENT_LENGTH=64 * 1024,
    )
    app.extensions["web_settings"] = settings
    app.extensions["token_verifier"] = TokenVerifier.from_settings(settings)
    app.extensions["http"] = httpx.Client(timeout=settings.timeout_seconds, mounts=dict(http_mounts or {}))
    if settings.demo_sign_in:
        app.extensions["session_tokens"] = SessionTokens(settings.session_dir)
    install_correlation_ids(app)  # the same id follows a page's calls into every service's logs and events
    # Who is asking, in which language, before CSRF checks the form: its refusal is then a page in
    # the reader's language, with their navigation.
    _install_request_context(app, settings)
    install_gettext(app)
    csrf.init_app(app)
    _install_error_pages(app)
    _register_views(app)
    app.add_template_filter(highlight)
    app.add_template_filter(link_own_pages)
    return app


def _install_request_context(app: Flask, settings: WebSettings) -> None:
    """Before each page: who is asking, in which language, and their client of the services."""

    @app.before_request
    def identify_reader():
        g.identity = identify(app.extensions["token_verifier"], presented_token(settings, request))
        g.locale = choose_locale(request, g.identity.principal.locale if g.identity else None)
        g.services = Services(settings, g.identity.token if g.identity else None, app.extensions["http"],
                              current_correlation_id())

    @app.after_request
    def add_security_headers(response):
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if response.mimetype == "text/html":
            response.headers.setdefault("Cache-Control", "no-store")  # pages show personal data
        if settings.is_production:
            response.headers["Strict-Transport-Security"] = STRICT_TRANSPORT_SECURITY
        return response

    @app.context_processor
    def page_helpers():
        locale = g.get("locale", "en")
        return {"locale": locale, "identity": g.get("identity"), "settings": settings,
                "localised": lambda text: localised(text, locale),
                "long_date": lambda value: long_date(value, locale),
                "date_time": lambda value, named=False: local_time(value, locale, reader_zone(), named=named),
                "zone_name": lambda: zone_name(reader_zone(), locale),
                "term_name": lambda term: term_name(term, locale),
                "language_name": lambda code: language_name(code, locale),
                "topic_name": lambda topic: topic_name(topic, locale),
                "level_name": lambda level: named(LEVELS, level, locale),
                "status_name": lambda kind, status: status_name(kind, status, locale),
                "role_name": lambda role: named(ROLES, role, locale),
                "history_action": lambda action: named(HISTORY_ACTIONS, action, locale),
                "history_field": lambda name: named(HISTORY_FIELDS, name, locale),
                "change_value": lambda name, value, kind: change_value(name, value, kind, locale, reader_zone()),
                "seats_summary": seats_summary,
                "pool_lines": pool_lines,
                "field_label": lambda name: gettext(FIELD_LABELS[name]),
                "field_error": lambda error: field_errors_text(error, locale),
                "unread_count": lambda: unread_count(g.services) if g.get("identity") else None}


# The front end's own refusals (werkzeug's HTTP errors) and the sentence each page says.
REFUSAL_MESSAGES = {400: N_("The request was not understood; please reload the page and try again."),
                    403: N_("You may not do that."), 404: N_("This page does not exist."),
                    405: N_("This page does not exist."), 413: N_("What you sent is too large."),
                    500: N_("Something went wrong on our side; it has been logged.")}


def _install_error_pages(app: Flask) -> None:
    """A refusal from a service or a bad request is a readable page in the reader's language, never a 500."""

    @app.errorhandler(ServiceError)
    def service_refused(error: ServiceError):
        if error.status == 401:  # the token expired or was revoked: sign in again
            end_session()
            flash(gettext_in(_reader_locale(), "Your session has ended; please sign in again."), "error")
            return redirect(url_for("account.sign_in"))
        page = render_template("error.html", message=problem_message(error, _reader_locale()))
        headers = {"Retry-After": str(error.retry_after)} if error.status == 429 and error.retry_after else {}
        return page, error_page_status(error), headers

    @app.errorhandler(CSRFError)
    def csrf_refused(_error):
        message = gettext_in(_reader_locale(), "The form had expired; please send it again.")
        return render_template("error.html", message=message), 400

    def refused(error: HTTPException):
        """Werkzeug's own page is English and bare; ours is in the site's layout and the reader's language."""
        return render_template("error.html", message=gettext_in(_reader_locale(), REFUSAL_MESSAGES[error.code])), \
            error.code

    for status in REFUSAL_MESSAGES:
        app.register_error_handler(status, refused)


def _reader_locale() -> str:
    """The reader's language, also on a page refused before the request context was set up (the page's
    layout then speaks it too)."""
    if not g.get("locale"):
        g.locale = choose_locale(request, None)
    return g.locale


def _register_views(app: Flask) -> None:
    from web.views import (account, applications, catalogue, coordinator, health, offerings, preferences, privacy,
                           student)

    for blueprint in (health.blp, account.blp, catalogue.blp, student.blp, coordinator.blp, offerings.blp,
                      preferences.blp, privacy.blp, applications.blp):
        app.register_blueprint(blueprint)
    csrf.exempt(health.blp)

