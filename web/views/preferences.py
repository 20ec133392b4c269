"""A person's preferences: the language of pages and messages, their time zone, and whether messages
also come by email."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, url_for

from shared.http.auth import LOCALES
from shared.timezones import INSTITUTION_ZONES, is_zone_name, zone_city, zone_names
from web.i18n import gettext_in
from web.language import LOCALE_COOKIE, LOCALE_COOKIE_SECONDS
from web.timezones import remember_zone
from web.views.guards import signed_in

blp = Blueprint("preferences", __name__)


@blp.route("/me/preferences", methods=["GET", "POST"])
@signed_in
def preferences():
    """Show and set the notification service's preferences; the language is the site's language too."""
    if request.method == "GET":
        current = g.services.get("notifications", ("preferences", "me")).body
        return render_template("preferences.html", values=current, **zone_choices())
    locale = request.form.get("locale") if request.form.get("locale") in LOCALES else g.locale
    choice = {"locale": locale, "email": request.form.get("email") == "on"}
    if is_zone_name(request.form.get("timezone")):  # otherwise the stored zone stays
        choice["timezone"] = request.form["timezone"]
    saved = g.services.call("notifications", "PUT", ("preferences", "me"), json=choice).body
    remember_zone(saved["timezone"])
    flash(gettext_in(saved["locale"], "Your preferences are saved."), "success")
    response = redirect(url_for("preferences.preferences"))
    response.set_cookie(LOCALE_COOKIE, saved["locale"], max_age=LOCALE_COOKIE_SECONDS, samesite="Lax", httponly=True,
                        secure=current_app.extensions["web_settings"].is_production)
    return response


def zone_choices() -> dict:
    """The partners' zones first, named by their city in the reader's language; then every zone."""
    partners = [(zone, zone_city(zone, g.locale)) for zone in INSTITUTION_ZONES.values()]
    return {"partner_zones": partners, "all_zones": zone_names()}
