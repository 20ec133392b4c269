"""Places by application: a student or visiting researcher applies and follows or withdraws their
applications; the course's coordinators read them and approve or decline, with a message."""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for

from web.applications import all_pages, submit_application
from web.client import ServiceError
from web.enrolments import live_seats
from web.i18n import gettext
from web.language import localised
from web.problems import problem_message
from web.views.coordinator import require_editor
from web.views.guards import coordinators_only, participants_only, signed_in

blp = Blueprint("applications", __name__)
MESSAGE_LENGTH = 2000


@blp.route("/offerings/<offering_id>/apply", methods=["GET", "POST"])
@participants_only
def apply(offering_id: str):
    """The application form (a motivation; for visiting staff the proposed dates), and sending it."""
    offering = g.services.get("catalogue", ("offerings", offering_id)).body
    course = g.services.get("catalogue", ("courses", offering["course_id"])).body
    staff = g.identity.principal.role == "staff"
    if request.method == "GET":
        return render_template("apply.html", offering=offering, course=course, staff=staff, values={}, errors={})
    outcome = submit_application(g.services, offering_id, request.form, staff)
    if outcome.application:
        flash(gettext("Your application is sent: the course's coordinators will tell you their decision."),
              "success")
        return redirect(url_for("applications.mine"))
    problem = problem_message(outcome.problem, g.locale) if outcome.problem else None
    return render_template("apply.html", offering=offering, course=course, staff=staff, values=request.form,
                           errors=outcome.errors, problem=problem), 409 if outcome.problem and \
        outcome.problem.status == 409 else 422


@blp.get("/me/applications")
@signed_in
def mine():
    """The signed-in person's applications, newest first, with their decisions."""
    return render_template("applications.html", applications=all_pages(g.services, ("applications", "me")))


@blp.post("/applications/<application_id>/withdraw")
@signed_in
def withdraw(application_id: str):
    """Withdraw a pending application (applying again stays possible)."""
    try:
        g.services.post("enrolment", ("applications", application_id, "withdraw"))
    except ServiceError as error:
        if error.status == 401:
            raise
        flash(problem_message(error, g.locale), "error")
    else:
        flash(gettext("Your application is withdrawn."), "success")
    return redirect(url_for("applications.mine"))


@blp.get("/manage/offerings/<offering_id>/applications")
@coordinators_only
def of_offering(offering_id: str):
    """An offering's applications, oldest first: who, why, when, and the decision."""
    offering = g.services.get("catalogue", ("offerings", offering_id)).body
    course = g.services.get("catalogue", ("courses", offering["course_id"])).body
    require_editor(course)
    applications = all_pages(g.services, ("offerings", offering_id, "applications"))
    return render_template("manage/applications.html", offering=offering, course=course, applications=applications,
                           seats=live_seats(g.services, offering), course_title=localised(course["title"], g.locale))


@blp.post("/manage/offerings/<offering_id>/applications/<application_id>")
@coordinators_only
def decide(offering_id: str, application_id: str):
    """Approve (the applicant takes a free seat) or decline an application, with a message to the applicant."""
    decision = request.form.get("decision")
    if decision not in ("approve", "decline"):
        abort(400)
    message = request.form.get("message", "").strip()[:MESSAGE_LENGTH] or None
    try:
        g.services.post("enrolment", ("applications", application_id, decision), {"message": message})
    except ServiceError as error:
        if error.status == 401:
            raise
        flash(gettext("Every seat is taken: free one or add seats before approving.")
              if error.code == "offering_full" else problem_message(error, g.locale), "error")
    else:
        flash(gettext("Approved: the applicant has a seat and is told.") if decision == "approve"
              else gettext("Declined: the applicant is told."), "success")
    return redirect(url_for("applications.of_offering", offering_id=offering_id))
