"""The enrolment service's HTTP API: thin views over enrolment.operations."""

from __future__ import annotations

import csv
import io

from flask import Response, json, request
from flask.views import MethodView

from enrolment import operations
from enrolment.idempotency import answer_once
from enrolment.schemas import EnrolmentSchema, EnrolRequestSchema, RosterEntrySchema, RosterQuerySchema, SeatsSchema
from enrolment.waiting_list import with_positions
from shared.auth import require_principal, requires
from shared.db import current_database
from shared.errors import PROBLEM_MEDIA_TYPE
from shared.limits import count_attempt
from shared.pagination import PAGINATION_HEADER, PageArgsSchema, paginate
from shared.web import IDEMPOTENCY_KEY_PATTERN, ServiceBlueprint

PROBLEMS = {
    "offering_not_found": (404, "no offering with this id has been scheduled"),
    "enrolment_not_found": (404, "no enrolment with this id that you may see"),
    "already_enrolled": (409, "you are already enrolled or on the waiting list of this offering"),
    "offering_full": (409, "every seat is taken and the offering has no waiting list"),
    "enrolment_closed": (409, "outside the enrolment window, course not published, or offering cancelled"),
    "bad_idempotency_key": (400, "Idempotency-Key is not 1 to 200 visible ASCII characters"),
    "idempotency_key_reused": (422, "this Idempotency-Key was used for a different request"),
}
blp = ServiceBlueprint("enrolment", __name__, description="Enrolments, seats and waiting lists", problems=PROBLEMS)

IDEMPOTENCY_KEY_DOC = {"name": "Idempotency-Key", "in": "header", "required": False,
                       "schema": {"type": "string", "pattern": IDEMPOTENCY_KEY_PATTERN.pattern},
                       "description": "Repeats with the same key get the first answer instead of a second enrolment"}
ROSTER_COLUMNS = ("status", "waitlist_position", "student_id", "name", "email", "institution", "enrolled_at",
                  "confirmed_at")


@blp.route("/enrolments")
class Enrolments(MethodView):
    @requires("student")
    @blp.doc(parameters=[IDEMPOTENCY_KEY_DOC])
    @blp.arguments(EnrolRequestSchema)
    @blp.problems("offering_not_found", "already_enrolled", "offering_full", "enrolment_closed",
                  "bad_idempotency_key", "idempotency_key_reused", "rate_limited")
    @blp.response(201, EnrolmentSchema)
    def post(self, body):
        """Enrol in an offering: a seat if one is free, else a place on the waiting list"""
        student = require_principal()
        key = request.headers.get("Idempotency-Key")
        if key is None:
            count_attempt("enrolment_attempts")
            with current_database().transaction() as session:
                return operations.enrol_student(session, student, body["offering_id"])
        with current_database().transaction() as session:

            def enrol() -> tuple[int, dict]:
                count_attempt("enrolment_attempts")  # a replay of the stored answer is no new attempt
                return 201, EnrolmentSchema().dump(operations.enrol_student(session, student, body["offering_id"]))

            status, answer = answer_once(session, student, key, body, enrol)
        return Response(json.dumps(answer), status=status,
                        mimetype="application/json" if status < 400 else PROBLEM_MEDIA_TYPE)


@blp.route("/enrolments/me")
class MyEnrolments(MethodView):
    @requires("student")
    @blp.arguments(PageArgsSchema, location="query")
    @blp.response(200, EnrolmentSchema(many=True), headers=PAGINATION_HEADER)
    def get(self, query):
        """List your enrolments, newest first"""
        with current_database().reading() as session:
            items, headers = paginate(session, operations.enrolments_of(require_principal()), query["page"],
                                      query["per_page"])
            return with_positions(session, items), headers


@blp.route("/enrolments/<enrolment_id>")
class EnrolmentById(MethodView):
    @requires()
    @blp.problems("enrolment_not_found")
    @blp.response(200, EnrolmentSchema)
    def get(self, enrolment_id):
        """Show an enrolment (its student, the course's coordinators, admins)"""
        with current_database().reading() as session:
            return operations.get_enrolment(session, require_principal(), enrolment_id)


@blp.route("/enrolments/<enrolment_id>/cancel")
class CancelEnrolment(MethodView):
    @requires()
    @blp.problems("enrolment_not_found")
    @blp.response(200, EnrolmentSchema)
    def post(self, enrolment_id):
        """Cancel an enrolment; a freed seat goes to the first on the waiting list"""
        with current_database().transaction() as session:
            return operations.cancel_enrolment(session, require_principal(), enrolment_id)


@blp.route("/offerings/<offering_id>/seats")
class OfferingSeats(MethodView):
    @blp.problems("offering_not_found")
    @blp.response(200, SeatsSchema)
    def get(self, offering_id):
        """Show an offering's live seat counts"""
        with current_database().reading() as session:
            return operations.get_offering(session, offering_id)


@blp.route("/offerings/<offering_id>/roster")
class OfferingRoster(MethodView):
    @requires("coordinator", "admin")
    @blp.arguments(RosterQuerySchema, location="query")
    @blp.problems("offering_not_found")
    @blp.doc(responses={"200": {"content": {"text/csv": {"schema": {"type": "string"}}}}})
    @blp.response(200, RosterEntrySchema(many=True),
                  description="JSON, or CSV (UTF-8, one header row) with Accept: text/csv")
    def get(self, query, offering_id):
        """Show the confirmed students and the waiting list in order (the course's coordinators)"""
        with current_database().reading() as session:
            entries = operations.roster(session, require_principal(), offering_id, cancelled=query["cancelled"])
        if request.accept_mimetypes.best_match(["application/json", "text/csv"]) == "text/csv":
            return roster_csv(offering_id, RosterEntrySchema(many=True).dump(entries))
        return entries


def roster_csv(offering_id: str, rows: list[dict]) -> Response:
    """Write the roster as CSV, Cyrillic names intact (UTF-8)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=ROSTER_COLUMNS, extrasaction="ignore", lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return Response(buffer.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="roster-{offering_id}.csv"'})
