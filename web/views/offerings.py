"""A coordinator's offering: seats (a cut below the confirmed count is warned about first), the roster
with who left and why, CSV, and cancelling (confirmed first, saying who is told)."""

from __future__ import annotations

from flask import Blueprint, Response, flash, g, redirect, render_template, request, url_for
from werkzeug.utils import secure_filename

from web import courses
from web.enrolments import live_seats
from web.forms import offering_form_values, whole_number
from web.i18n import gettext
from web.problems import field_errors_text, problem_message
from web.roster_xlsx import XLSX_MIMETYPE, roster_workbook
from web.timezones import reader_zone
from web.views.confirmation import post_if_confirmed
from web.views.coordinator import require_editor
from web.views.guards import coordinators_only

blp = Blueprint("offerings", __name__, url_prefix="/manage/offerings")


@blp.get("/<offering_id>")
@coordinators_only
def offering(offering_id: str):
    """An offering's seats, roster, waiting list and cancelled enrolments, with the form to change seats."""
    return offering_page(offering_id)


@blp.post("/<offering_id>/seats")
@coordinators_only
def change_seats(offering_id: str):
    """Change the number of seats on the version shown. A cut below the confirmed count is explained and
    confirmed first; a refusal or someone else's change shows the page again with the number typed."""
    typed = request.form.get("capacity", "")
    capacity, error = whole_number(typed)
    if error:
        return offering_page(offering_id, typed=typed, problem=gettext(error), status=422)
    answer = g.services.get("catalogue", ("offerings", offering_id))
    seats = live_seats(g.services, answer.body)
    if 0 <= capacity < seats.get("confirmed", 0) and request.form.get("confirm") != "yes":
        course = g.services.get("catalogue", ("courses", answer.body["course_id"])).body
        require_editor(course)
        return render_template("manage/confirm_seats.html", offering=answer.body, course=course, seats=seats,
                               capacity=capacity, version=request.form.get("version", ""))
    outcome = courses.change_capacity(g.services, offering_id, request.form)
    if outcome.saved:
        flash(gettext("Seats changed to %(capacity)s.", capacity=outcome.saved["capacity"]), "success")
        return redirect(url_for("offerings.offering", offering_id=offering_id))
    if outcome.current:
        return offering_page(offering_id, typed=typed, status=409, problem=gettext(
            "Someone else changed this offering meanwhile; it now has %(capacity)s seats. Check and send again.",
            capacity=outcome.current["capacity"]))
    if outcome.errors.get("capacity"):
        return offering_page(offering_id, typed=typed, status=422,
                             problem=field_errors_text(outcome.errors["capacity"], g.locale))
    return offering_page(offering_id, typed=typed, status=422, problem=problem_message(outcome.problem, g.locale))


@blp.route("/<offering_id>/edit", methods=["GET", "POST"])
@coordinators_only
def edit(offering_id: str):
    """Change dates, place, enrolment window and waiting list; the students are told what changed."""
    answer = g.services.get("catalogue", ("offerings", offering_id))
    course = g.services.get("catalogue", ("courses", answer.body["course_id"])).body
    require_editor(course)
    seats = live_seats(g.services, answer.body)
    if request.method == "GET":
        return render_template("manage/offering_form.html", offering=answer.body, course=course, seats=seats,
                               values={**offering_form_values(answer.body, reader_zone()), "version": answer.version},
                               errors={}, current=None)
    outcome = courses.edit_offering(g.services, offering_id, request.form, reader_zone())
    if outcome.saved:
        flash(gettext("The offering is changed; its students are told what changed."), "success")
        return redirect(url_for("offerings.offering", offering_id=offering_id))
    # Refused or overtaken: the form keeps what was typed; after a conflict it edits the version now saved.
    values = {**request.form, "version": outcome.version or request.form.get("version", "")}
    problem = problem_message(outcome.problem, g.locale) if outcome.problem else None
    return render_template("manage/offering_form.html", offering=answer.body, course=course, seats=seats,
                           values=values, errors=outcome.errors, current=outcome.current,
                           problem=problem), 409 if outcome.current else 422


@blp.get("/<offering_id>/roster.csv")
@coordinators_only
def roster_csv(offering_id: str):
    """The roster as the enrolment service writes it in CSV (spreadsheet-safe), under its file name."""
    answer = g.services.call("enrolment", "GET", ("offerings", offering_id, "roster"),
                             headers={"Accept": "text/csv"})
    return Response(answer.body, mimetype="text/csv",
                    headers={"Content-Disposition": answer.headers["content-disposition"]})


@blp.get("/<offering_id>/roster.xlsx")
@coordinators_only
def roster_xlsx(offering_id: str):
    """The roster as an Excel workbook, headers in the reader's language."""
    rows = g.services.get("enrolment", ("offerings", offering_id, "roster")).body
    offering = g.services.get("catalogue", ("offerings", offering_id)).body
    course = g.services.get("catalogue", ("courses", offering["course_id"])).body
    filename = secure_filename(f"roster-{course['code']}-{offering['term']}.xlsx") or "roster.xlsx"
    return Response(roster_workbook(rows, g.locale), mimetype=XLSX_MIMETYPE,
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@blp.route("/<offering_id>/cancel", methods=["GET", "POST"])
@coordinators_only
def cancel(offering_id: str):
    """Say who will be told, and cancel only once the coordinator confirms; enrolment then cancels each
    enrolment and notifications tells each student, with the reason."""
    answer = g.services.get("catalogue", ("offerings", offering_id))
    course = g.services.get("catalogue", ("courses", answer.body["course_id"])).body
    require_editor(course)
    outcome = post_if_confirmed(g.services, ("offerings", offering_id, "cancel"))
    if outcome.done:
        flash(gettext("The offering is cancelled; its students are told."), "success")
        return redirect(url_for("offerings.offering", offering_id=offering_id))
    return render_template("manage/confirm_cancel_offering.html", offering=answer.body, course=course,
                           seats=live_seats(g.services, answer.body), reason=outcome.reason,
                           problem=outcome.problem), 409 if outcome.problem else 200


def offering_page(offering_id: str, *, typed: str | None = None, problem: str | None = None, status: int = 200):
    """The offering's page; after a refused change of seats, with the number typed and why it was refused."""
    answer = g.services.get("catalogue", ("offerings", offering_id))
    course = g.services.get("catalogue", ("courses", answer.body["course_id"])).body
    require_editor(course)
    return render_template("manage/offering.html", offering=answer.body, version=answer.version, course=course,
                           roster=courses.roster_of(g.services, offering_id), seats=live_seats(g.services, answer.body),
                           typed_capacity=typed, seats_problem=problem), status
