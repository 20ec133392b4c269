"""A coordinator's courses: create and edit (conflicts shown, not lost), publish, archive (confirmed first),
schedule offerings. Only what the coordinator may do is offered."""

from __future__ import annotations

import json
from datetime import datetime, timezone

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for

from shared.http.pagination import MAX_PAGE
from web import courses
from web.enrolments import live_seats
from web.forms import EDITABLE_COURSE_FIELDS, course_form_values, offering_payload, originals_of
from web.i18n import gettext
from web.problems import problem_message
from web.timezones import reader_zone
from web.views.catalogue import LEVELS
from web.views.confirmation import post_if_confirmed
from web.views.guards import coordinators_only

blp = Blueprint("coordinator", __name__, url_prefix="/manage")


@blp.get("/")
@coordinators_only
def my_courses():
    """The courses the coordinator may edit."""
    principal = g.identity.principal
    return render_template("manage/courses.html", courses=courses.courses_i_manage(g.services, principal),
                           own_institution=None if principal.is_admin else principal.institution)


@blp.route("/courses/new", methods=["GET", "POST"])
@coordinators_only
def new_course():
    """Create a draft course of the coordinator's institution (the only one the form offers)."""
    values = {"institution": g.identity.institutions[0], "level": "master", "language": "en",
              "coordinators": g.identity.principal.id}
    if request.method == "GET":
        return render_template("manage/course_form.html", values=values, outcome=None, course=None, levels=LEVELS)
    outcome = courses.create_course(g.services, request.form)
    if outcome.saved:
        flash(gettext("The course is saved (version %(version)s).", version=outcome.version), "success")
        return redirect(url_for("coordinator.course", course_id=outcome.saved["id"]))
    return render_template("manage/course_form.html", values=request.form, outcome=outcome, course=None,
                           levels=LEVELS, problem=outcome_problem(outcome)), 422


@blp.route("/courses/<course_id>/edit", methods=["GET", "POST"])
@coordinators_only
def edit_course(course_id: str):
    """Edit a course on the version loaded; a stale edit shows the other person's change beside yours."""
    if request.method == "GET":
        answer = g.services.get("catalogue", ("courses", course_id))
        require_editor(answer.body)
        loaded = course_form_values(answer.body)
        return render_template("manage/course_form.html", course=answer.body, outcome=None, levels=LEVELS,
                               values={**loaded, "version": answer.version},
                               original=originals_of(loaded, EDITABLE_COURSE_FIELDS, prefix=""))
    outcome = courses.edit_course(g.services, course_id, request.form)
    if outcome.saved:
        flash(gettext("The course is saved (version %(version)s).", version=outcome.version), "success")
        return redirect(url_for("coordinator.course", course_id=course_id))
    if outcome.current:  # stale: the form now edits their version, so theirs is the original to compare with
        theirs = course_form_values(outcome.current)
        return render_template("manage/course_form.html", course=outcome.current, outcome=outcome, theirs=theirs,
                               values={**outcome.merge.values, "version": outcome.version},
                               original=originals_of(theirs, EDITABLE_COURSE_FIELDS, prefix=""),
                               levels=LEVELS, problem=outcome_problem(outcome)), 409
    course = g.services.get("catalogue", ("courses", course_id)).body
    return render_template("manage/course_form.html", course=course, outcome=outcome, values=request.form,
                           original=originals_of(request.form, EDITABLE_COURSE_FIELDS), levels=LEVELS,
                           problem=outcome_problem(outcome)), 422


@blp.get("/courses/<course_id>")
@coordinators_only
def course(course_id: str):
    """A course's status and offerings, and the form to schedule another."""
    course = editable_course(course_id)
    offerings = g.services.get("catalogue", ("courses", course_id, "offerings")).body
    # A new offering keeps a waiting list unless unticked. The default lives here, not in the template:
    # an unticked box is absent from a sent-back form, and must not be ticked again there.
    return render_template("manage/course.html", course=course, offerings=offerings, values={"waitlist": "on"},
                           errors={})


@blp.get("/courses/<course_id>/history")
@coordinators_only
def history(course_id: str):
    """Who changed what in a course and its offerings, and when, newest first."""
    course = editable_course(course_id)
    page = min(max(request.args.get("page", 1, type=int), 1), MAX_PAGE)
    answer = g.services.get("catalogue", ("courses", course_id, "history"), page=page, per_page=50)
    return render_template("manage/history.html", course=course, revisions=answer.body,
                           pagination=json.loads(answer.headers.get("x-pagination", "{}")))


@blp.post("/courses/<course_id>/publish")
@coordinators_only
def publish(course_id: str):
    """Publish a course (nothing to confirm: it can be archived again)."""
    g.services.post("catalogue", ("courses", course_id, "publish"))
    flash(gettext("The course is published."), "success")
    return redirect(url_for("coordinator.course", course_id=course_id))


@blp.route("/courses/<course_id>/archive", methods=["GET", "POST"])
@coordinators_only
def archive(course_id: str):
    """Say what archiving does and whom it tells; archive only once the coordinator confirms."""
    course = editable_course(course_id)
    outcome = post_if_confirmed(g.services, ("courses", course_id, "archive"))
    if outcome.done:
        flash(gettext("The course is archived."), "success")
        return redirect(url_for("coordinator.course", course_id=course_id))
    offerings = g.services.get("catalogue", ("courses", course_id, "offerings")).body
    cancelled = [(offering, live_seats(g.services, offering))
                 for offering in courses.offerings_archiving_cancels(offerings, datetime.now(timezone.utc).date())]
    return render_template("manage/confirm_archive.html", course=course, cancelled=cancelled, reason=outcome.reason,
                           problem=outcome.problem), 409 if outcome.problem else 200


@blp.post("/courses/<course_id>/offerings")
@coordinators_only
def schedule_offering(course_id: str):
    """Schedule an offering with its seats and enrolment window."""
    payload, errors = offering_payload(request.form, reader_zone())
    outcome = courses.EditOutcome(errors=errors) if errors else courses.schedule_offering(g.services, course_id, payload)
    if outcome.saved:
        flash(gettext("The offering is scheduled."), "success")
        return redirect(url_for("offerings.offering", offering_id=outcome.saved["id"]))
    answer = g.services.get("catalogue", ("courses", course_id))
    offerings = g.services.get("catalogue", ("courses", course_id, "offerings")).body
    return render_template("manage/course.html", course=answer.body, offerings=offerings, values=request.form,
                           errors=outcome.errors, problem=outcome_problem(outcome)), 422


def editable_course(course_id: str) -> dict:
    """The course, for a coordinator who may edit it; a 403 page for one who may only read it."""
    course = g.services.get("catalogue", ("courses", course_id)).body
    require_editor(course)
    return course


def require_editor(course: dict) -> None:
    if not g.identity.may_edit(course):
        abort(403)


def outcome_problem(outcome: courses.EditOutcome) -> str | None:
    """The sentence to show above a form that was not saved."""
    return problem_message(outcome.problem, g.locale) if outcome.problem else None
