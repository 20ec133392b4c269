"""The web front end's Flask app: pages over the three services, sessions, CSRF, languages, headers."""

from __future__ import annotations

import logging
from typing import Mapping

import httpx
from flask import Flask, flash, g, redirect, render_template, request, session, url_for
from flask_wtf.csrf import CSRFError, CSRFProtect

from shared.auth import TokenVerifier
from shared.logs import configure_logging, current_correlation_id
from shared.web import install_correlation_ids
from web.client import ServiceError, Services
from web.config import WebSettings
from web.enrolments import unread_count
from web.identity import SESSION_TOKEN, identify, presented_token
from web.language import choose_locale, date_time, localised, long_date
from web.messages import translate
from web.problems import problem_message

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
    csrf.init_app(app)
    install_correlation_ids(app)  # the same id follows a page's calls into every service's logs and events
    _install_request_context(app, settings)
    _install_error_pages(app)
    _register_views(app)
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
        return response

    @app.context_processor
    def page_helpers():
        locale = g.get("locale", "en")
        return {"_": lambda key, **values: translate(key, locale, **values), "locale": locale,
                "identity": g.get("identity"), "settings": settings,
                "localised": lambda text: localised(text, locale),
                "long_date": lambda value: long_date(value, locale),
                "date_time": lambda value: date_time(value, locale),
                "unread_count": lambda: unread_count(g.services) if g.get("identity") else None}


def _install_error_pages(app: Flask) -> None:
    """A refusal from a service or a bad request is a readable page in the reader's language, never a 500."""

    @app.errorhandler(ServiceError)
    def service_refused(error: ServiceError):
        if error.status == 401:  # the token expired or was revoked: sign in again
            session.pop(SESSION_TOKEN, None)
            flash(translate("session_expired", g.get("locale", "en")), "error")
            return redirect(url_for("account.sign_in"))
        status = error.status if error.status in (401, 403, 404, 409, 503) else 502 if error.status >= 500 else 400
        return render_template("error.html", message=problem_message(error, g.get("locale", "en"))), status

    @app.errorhandler(CSRFError)
    def csrf_refused(_error):
        return render_template("error.html", message=translate("problem_csrf", g.get("locale", "en"))), 400

    @app.errorhandler(404)
    def not_found(_error):
        return render_template("error.html", message=translate("page_not_found", g.get("locale", "en"))), 404

    @app.errorhandler(500)
    def broken(_error):
        return render_template("error.html", message=translate("problem_internal", g.get("locale", "en"))), 500

    @app.errorhandler(405)
    def not_allowed(_error):
        return render_template("error.html", message=translate("page_not_found", g.get("locale", "en"))), 405


def _register_views(app: Flask) -> None:
    from web.views import account, catalogue, coordinator, health, student

    for blueprint in (health.blp, account.blp, catalogue.blp, student.blp, coordinator.blp):
        app.register_blueprint(blueprint)
    csrf.exempt(health.blp)

