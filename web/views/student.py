"""A student enrols, sees where they stand, cancels, and reads their notifications."""

from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, url_for

from web.client import ServiceError
from web.enrolments import enrolment_outcome, idempotency_key, live_seats, my_enrolments
from web.i18n import gettext
from web.language import localised
from web.navigation import safe_next
from web.problems import problem_message
from web.views.guards import signed_in

blp = Blueprint("student", __name__)


@blp.post("/offerings/<offering_id>/enrol")
@signed_in
def enrol(offering_id: str):
    """Ask for a seat; tell the student whether they got one or their place in line."""
    key = idempotency_key(request.form.get("idempotency_key"))
    try:
        enrolment = g.services.post("enrolment", ("enrolments",), {"offering_id": offering_id},
                                    headers={"Idempotency-Key": key}).body
    except ServiceError as error:
        if error.status == 401:
            raise
        flash(problem_message(error, g.locale), "error")
    else:
        flash(enrolment_outcome(enrolment), "success")
    return redirect(safe_next(request.form.get("next"), url_for("student.enrolments")))


@blp.get("/me/enrolments")
@signed_in
def enrolments():
    """The student's enrolments and where each stands."""
    return render_template("enrolments.html", enrolments=my_enrolments(g.services))


@blp.route("/enrolments/<enrolment_id>/cancel", methods=["GET", "POST"])
@signed_in
def cancel(enrolment_id: str):
    """Say what giving up a seat or a place in line means, and do it only once the student confirms;
    the first in line then gets the seat."""
    back = safe_next(request.values.get("next"), url_for("student.enrolments"))
    if request.method == "POST" and request.form.get("confirm") == "yes":
        g.services.post("enrolment", ("enrolments", enrolment_id, "cancel"))
        flash(gettext("Your enrolment is cancelled."), "success")
        return redirect(back)
    enrolment = g.services.get("enrolment", ("enrolments", enrolment_id)).body
    seats = live_seats(g.services, {"id": enrolment["offering_id"]})
    return render_template("confirm_cancel_enrolment.html", enrolment=enrolment, seats=seats, back=back,
                           course=localised(enrolment["offering"]["course_title"], g.locale))


@blp.post("/enrolments/<enrolment_id>/accept")
@signed_in
def accept(enrolment_id: str):
    """Take the seat offered to the student (one click: accepting loses nothing, and a repeat changes nothing)."""
    try:
        g.services.post("enrolment", ("enrolments", enrolment_id, "accept"))
    except ServiceError as error:
        if error.status == 401:
            raise
        flash(problem_message(error, g.locale), "error")
    else:
        flash(gettext("You have a seat: your enrolment is confirmed."), "success")
    return redirect(safe_next(request.form.get("next"), url_for("student.enrolments")))


@blp.route("/enrolments/<enrolment_id>/decline", methods=["GET", "POST"])
@signed_in
def decline(enrolment_id: str):
    """Say what turning down an offered seat means, and do it only once the student confirms; the seat is
    then offered to the next in line."""
    back = safe_next(request.values.get("next"), url_for("student.enrolments"))
    if request.method == "POST" and request.form.get("confirm") == "yes":
        try:
            g.services.post("enrolment", ("enrolments", enrolment_id, "decline"))
        except ServiceError as error:
            if error.status not in (409,):
                raise
            flash(problem_message(error, g.locale), "error")
        else:
            flash(gettext("You declined the seat; it is offered to the next in line."), "success")
        return redirect(back)
    enrolment = g.services.get("enrolment", ("enrolments", enrolment_id)).body
    return render_template("confirm_decline_offer.html", enrolment=enrolment, back=back,
                           course=localised(enrolment["offering"]["course_title"], g.locale))


@blp.get("/me/inbox")
@signed_in
def inbox():
    """The notifications of the signed-in person, newest first."""
    notifications = g.services.get("notifications", ("notifications", "me"), per_page=50).body
    return render_template("inbox.html", notifications=notifications)


@blp.post("/me/inbox/<notification_id>/read")
@signed_in
def mark_read(notification_id: str):
    """Mark one notification read."""
    g.services.post("notifications", ("notifications", notification_id, "read"))
    return redirect(url_for("student.inbox"))
