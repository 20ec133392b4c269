"""Browsing and searching the catalogue, a course with its offerings, and live seats."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timezone

from flask import Blueprint, g, jsonify, redirect, render_template, request, url_for

from shared.http.pagination import MAX_PAGE
from web.applications import pending_applications_by_offering
from web.enrolments import active_by_offering_if_known, enrol_choice, live_seats, pool_lines, seats_summary
from web.names import LEVELS as LEVEL_NAMES

blp = Blueprint("catalogue", __name__)
LEVELS = tuple(LEVEL_NAMES)
INSTITUTIONS = ("LUMC", "SSMU")


@blp.get("/")
def browse():
    """Search the published catalogue by words (English or Russian), institution and level."""
    filters = {"q": request.args.get("q", "").strip()[:200],
               "institution": request.args.get("institution") if request.args.get("institution") in INSTITUTIONS else "",
               "level": request.args.get("level") if request.args.get("level") in LEVELS else ""}
    # type=int falls back to 1 on anything int() refuses ("²" passes str.isdigit() but not int()); the clamp
    # keeps it within the pages the catalogue serves.
    page = min(max(request.args.get("page", 1, type=int), 1), MAX_PAGE)
    answer = g.services.get("catalogue", ("courses",), status="published", page=page, per_page=20, **filters)
    pagination = json.loads(answer.headers.get("x-pagination", "{}"))
    return render_template("catalogue.html", courses=answer.body, filters=filters, pagination=pagination,
                           levels=LEVELS, institutions=INSTITUTIONS)


@blp.get("/courses/<course_id>")
def course(course_id: str):
    """A course, its offerings with live seats, and (for a student) where they stand in each."""
    course = g.services.get("catalogue", ("courses", course_id)).body
    offerings = g.services.get("catalogue", ("courses", course_id, "offerings")).body
    seats = {offering["id"]: live_seats(g.services, offering) for offering in offerings}
    now = datetime.now(timezone.utc)
    takes_part = g.identity and g.identity.takes_part
    institution = g.identity.principal.institution if g.identity else None
    choices = {offering["id"]: enrol_choice(course, offering, seats[offering["id"]], now, institution)
               for offering in offerings}
    mine = active_by_offering_if_known(g.services) if takes_part else {}
    applied = pending_applications_by_offering(g.services) if takes_part and "apply" in choices.values() else {}
    return render_template("course.html", course=course, offerings=offerings, seats=seats, mine=mine,
                           applied=applied, choices=choices, idempotency_key=str(uuid.uuid4()))


@blp.get("/favicon.ico")
def favicon():
    """Browsers and bookmarks that ask for /favicon.ico get the site's icon (pages name it in a <link>)."""
    return redirect(url_for("static", filename="favicon.svg"), 301)


@blp.get("/offerings/<offering_id>/seats.json")
def seats(offering_id: str):
    """Live seats of an offering, with the sentences the page shows (the total, and each pool still reserving
    seats), for the page's polling script (which sends the capacity the page was rendered with, so the line
    keeps saying "updating" until it arrives)."""
    counts = g.services.get("enrolment", ("offerings", offering_id, "seats")).body
    return jsonify(counts=counts, text=seats_summary(counts, request.args.get("capacity", type=int)),
                   pools=pool_lines(counts))
