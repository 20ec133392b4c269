"""Signing in and out, and choosing the language."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for

from shared.http.auth import LOCALES
from web.i18n import gettext
from web.identity import SESSION_ID, demo_people, end_session, identify, mint_demo_token
from web.language import LOCALE_COOKIE, LOCALE_COOKIE_SECONDS
from web.navigation import safe_next

blp = Blueprint("account", __name__)


@blp.get("/signin")
def sign_in():
    """Choose a demo person (development), or read how sign-in works in production."""
    settings = current_app.extensions["web_settings"]
    return render_template("sign_in.html", people=demo_people() if settings.demo_sign_in else [],
                           next=safe_next(request.args.get("next"), ""))


@blp.post("/signin")
def sign_in_as_demo_person():
    """Mint a development token for the chosen demo person and keep it on the server for this session."""
    settings = current_app.extensions["web_settings"]
    if not settings.demo_sign_in:
        abort(404)
    token = mint_demo_token(settings, request.form.get("person", ""))
    identity = identify(current_app.extensions["token_verifier"], token)
    if identity is None:
        return redirect(url_for("account.sign_in"))
    end_session()  # a new person gets a new session, and a new CSRF token with it
    session[SESSION_ID] = current_app.extensions["session_tokens"].start(token)
    flash(gettext("Welcome, %(name)s.", name=identity.principal.name), "success")
    default = url_for("coordinator.my_courses") if identity.manages_courses else url_for("catalogue.browse")
    return redirect(safe_next(request.form.get("next"), default))


@blp.post("/signout")
def sign_out():
    """End the session, on the server too."""
    end_session()
    flash(gettext("You are signed out."), "success")
    return redirect(url_for("catalogue.browse"))


@blp.post("/language")
def choose_language():
    """Remember the chosen language in a cookie, and go back to the page the reader was on."""
    locale = request.form.get("locale")
    response = redirect(safe_next(request.form.get("next")))
    if locale in LOCALES:
        response.set_cookie(LOCALE_COOKIE, locale, max_age=LOCALE_COOKIE_SECONDS, samesite="Lax", httponly=True,
                            secure=current_app.extensions["web_settings"].is_production)
    return response
