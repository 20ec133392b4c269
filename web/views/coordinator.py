"""A coordinator's courses: create and edit (conflicts shown, not lost), offerings, seats, roster, CSV."""

from __future__ import annotations

from flask import Blueprint, Response, flash, g, redirect, render_template, request, url_for

from web import courses
from web.client import ServiceError
from web.enrolments import live_seats
from web.forms import EDITABLE_COURSE_FIELDS, FIELD_LABELS, course_form_values, offering_payload, originals_of
from web.messages import translate
from web.problems import problem_message
from web.views.catalogue import LEVELS
from web.timezones import reader_zone
from web.views.guards import coordinators_only

blp = Blueprint("coordinator", __name__, url_prefix="/manage")


@blp.get("/")
@coordinators_only
def my_courses():
    """The courses the coordinator may edit."""
    institution = None if g.identity.principal.is_admin else g.identity.principal.institution
    return render_template("manage/courses.html", courses=courses.courses_i_manage(g.services, institution))


@blp.route("/courses/new", methods=["GET", "POST"])
@coordinators_only
def new_course():
    """Create a draft course of the coordinator's institution."""
    values = {"institution": g.identity.principal.institution, "level": "master", "language": "en",
              "coordinators": g.identity.principal.id}
    if request.method == "GET":
        return render_template("manage/course_form.html", values=values, outcome=None, course=None, levels=LEVELS)
    outcome = courses.create_course(g.services, request.form)
    if outcome.saved:
        flash(translate("course_saved", g.locale, version=outcome.version), "success")
        return redirect(url_for("coordinator.course", course_id=outcome.saved["id"]))
    return render_template("manage/course_form.html", values=request.form, outcome=outcome, course=None,
                           levels=LEVELS, problem=outcome_problem(outcome)), 422


@blp.route("/courses/<course_id>/edit", methods=["GET", "POST"])
@coordinators_only
def edit_course(course_id: str):
    """Edit a course on the version loaded; a stale edit shows the other person's change beside yours."""
    if request.method == "GET":
        answer = g.services.get("catalogue", ("courses", course_id))
        loaded = course_form_values(answer.body)
        return render_template("manage/course_form.html", course=answer.body, outcome=None, levels=LEVELS,
                               values={**loaded, "version": answer.version},
                               original=originals_of(loaded, EDITABLE_COURSE_FIELDS, prefix=""))
    outcome = courses.edit_course(g.services, course_id, request.form)
    if outcome.saved:
        flash(translate("course_saved", g.locale, version=outcome.version), "success")
        return redirect(url_for("coordinator.course", course_id=course_id))
    if outcome.current:  # stale: the form now edits their version, so theirs is the original to compare with
        theirs = course_form_values(outcome.current)
        return render_template("manage/course_form.html", course=outcome.current, outcome=outcome, theirs=theirs,
                               values={**outcome.merge.values, "version": outcome.version},
                               original=originals_of(theirs, EDITABLE_COURSE_FIELDS, prefix=""),
                               levels=LEVELS, field_labels=FIELD_LABELS, problem=outcome_problem(outcome)), 409
    course = g.services.get("catalogue", ("courses", course_id)).body
    return render_template("manage/course_form.html", course=course, outcome=outcome, values=request.form,
                           original=originals_of(request.form, EDITABLE_COURSE_FIELDS), levels=LEVELS,
                           problem=outcome_problem(outcome)), 422


@blp.get("/courses/<course_id>")
@coordinators_only
def course(course_id: str):
    """A course's status and offerings, and the form to schedule another."""
    answer = g.services.get("catalogue", ("courses", course_id))
    offerings = g.services.get("catalogue", ("courses", course_id, "offerings")).body
    # A new offering keeps a waiting list unless unticked. The default lives here, not in the template:
    # an unticked box is absent from a sent-back form, and must not be ticked again there.
    return render_template("manage/course.html", course=answer.body, offerings=offerings, values={"waitlist": "on"},
                           errors={})


@blp.post("/courses/<course_id>/<any(publish, archive):action>")
@coordinators_only
def change_status(course_id: str, action: str):
    """Publish or archive a course."""
    g.services.post("catalogue", ("courses", course_id, action))
    flash(translate("course_published" if action == "publish" else "course_archived_done", g.locale), "success")
    return redirect(url_for("coordinator.course", course_id=course_id))


@blp.post("/courses/<course_id>/offerings")
@coordinators_only
def schedule_offering(course_id: str):
    """Schedule an offering with its seats and enrolment window."""
    payload, errors = offering_payload(request.form, reader_zone())
    outcome = courses.EditOutcome(errors=errors) if errors else courses.schedule_offering(g.services, course_id, payload)
    if outcome.saved:
        flash(translate("offering_scheduled", g.locale), "success")
        return redirect(url_for("coordinator.offering", offering_id=outcome.saved["id"]))
    answer = g.services.get("catalogue", ("courses", course_id))
    offerings = g.services.get("catalogue", ("courses", course_id, "offerings")).body
    return render_template("manage/course.html", course=answer.body, offerings=offerings, values=request.form,
                           errors=outcome.errors, problem=outcome_problem(outcome)), 422


@blp.get("/offerings/<offering_id>")
@coordinators_only
def offering(offering_id: str):
    """An offering's seats, roster and waiting list, with the forms to change seats or cancel it."""
    answer = g.services.get("catalogue", ("offerings", offering_id))
    course = g.services.get("catalogue", ("courses", answer.body["course_id"])).body
    confirmed, waiting = courses.roster_of(g.services, offering_id)
    seats = live_seats(g.services, answer.body)
    return render_template("manage/offering.html", offering=answer.body, version=answer.version, course=course,
                           confirmed=confirmed, waiting=waiting, seats=seats)


@blp.post("/offerings/<offering_id>/seats")
@coordinators_only
def change_seats(offering_id: str):
    """Change the number of seats on the version shown; if someone was quicker, say what it is now."""
    outcome = courses.change_capacity(g.services, offering_id, request.form)
    if outcome.saved:
        flash(translate("seats_changed", g.locale, capacity=outcome.saved["capacity"]), "success")
    elif outcome.current:
        flash(translate("seats_conflict", g.locale, capacity=outcome.current["capacity"]), "error")
    else:
        flash(outcome_problem(outcome) or translate("problem_validation_error", g.locale), "error")
    return redirect(url_for("coordinator.offering", offering_id=offering_id))


@blp.get("/offerings/<offering_id>/roster.csv")
@coordinators_only
def roster_csv(offering_id: str):
    """The roster as the enrolment service writes it in CSV (spreadsheet-safe), under its file name."""
    answer = g.services.call("enrolment", "GET", ("offerings", offering_id, "roster"),
                             headers={"Accept": "text/csv"})
    return Response(answer.body, mimetype="text/csv",
                    headers={"Content-Disposition": answer.headers["content-disposition"]})


@blp.post("/offerings/<offering_id>/cancel")
@coordinators_only
def cancel_offering(offering_id: str):
    """Cancel an offering; enrolment cancels its enrolments and notifications tells the students."""
    reason = request.form.get("reason", "").strip()[:1000] or None
    try:
        g.services.post("catalogue", ("offerings", offering_id, "cancel"), {"reason": reason})
    except ServiceError as error:
        if error.status == 401:
            raise
        flash(problem_message(error, g.locale), "error")
    else:
        flash(translate("offering_was_cancelled", g.locale), "success")
    return redirect(url_for("coordinator.offering", offering_id=offering_id))


def outcome_problem(outcome: courses.EditOutcome) -> str | None:
    """The sentence to show above a form that was not saved."""
    return problem_message(outcome.problem, g.locale) if outcome.problem else None
