"""A person's data: download all of it, or ask to be forgotten (confirmed first, no script needed);
admins do both on a person's behalf and follow each erasure through the three services."""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for

from web.i18n import gettext
from web.identity import end_session
from web.personal_data import download, erasure_progress, export_of
from web.views.confirmation import post_if_confirmed
from web.views.guards import admins_only, participants_only, signed_in

blp = Blueprint("privacy", __name__)
PERSON_ID_LENGTH = 64  # a token's `sub`, as the services store it


@blp.get("/me/privacy")
@signed_in
def privacy():
    """What the platform holds about the reader, and what they can do about it."""
    return render_template("privacy.html")


@blp.get("/me/privacy/export.json")
@signed_in
def export():
    """Download everything the three services hold about the reader, as one JSON document."""
    return download(export_of(g.services, "me"))


@blp.route("/me/privacy/forget", methods=["GET", "POST"])
@participants_only
def forget():
    """Say what being forgotten means, and ask for it only once the student (or visiting staff) confirms."""
    outcome = post_if_confirmed(g.services, ("erasures",), service="enrolment", body={})
    if not outcome.done:
        return render_template("confirm_forget.html", outcome=outcome, person_id=None)
    end_session()
    flash(gettext("You are being forgotten: your data is erased from every service within moments "
                  "(request %(id)s). You are signed out.", id=outcome.answer["id"]), "success")
    return redirect(url_for("catalogue.browse"))


@blp.get("/admin/erasures")
@admins_only
def erasures():
    """The erasures requested, newest first, and the forms to export or erase a person's data."""
    listed = g.services.get("enrolment", ("erasures",), per_page=50).body
    return render_template("admin/erasures.html", erasures=listed)


@blp.route("/admin/erasures/new", methods=["GET", "POST"])
@admins_only
def erase_person():
    """Erase a person on their behalf, once the admin confirms."""
    person_id = _person_id()
    outcome = post_if_confirmed(g.services, ("erasures",), service="enrolment", body={"person_id": person_id})
    if not outcome.done:
        return render_template("confirm_forget.html", outcome=outcome, person_id=person_id)
    return redirect(url_for("privacy.erasure", erasure_id=outcome.answer["id"]))


@blp.get("/admin/erasures/<erasure_id>")
@admins_only
def erasure(erasure_id: str):
    """Where an erasure stands in each service."""
    return render_template("admin/erasure.html", erasure_id=erasure_id,
                           progress=erasure_progress(g.services, erasure_id))


@blp.get("/admin/export.json")
@admins_only
def export_person():
    """Download everything the three services hold about a person, on their behalf."""
    return download(export_of(g.services, _person_id()))


def _person_id() -> str:
    person_id = request.values.get("person_id", "").strip()
    if not person_id or len(person_id) > PERSON_ID_LENGTH:
        abort(400)
    return person_id
