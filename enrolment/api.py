"""The enrolment service's HTTP API: thin views over enrolment.operations."""

from __future__ import annotations

from flask import Response, json, request
from flask.views import MethodView

from enrolment import operations
from enrolment.idempotency import answer_once
from enrolment.roster_csv import roster_csv, roster_file_name
from enrolment.schemas import EnrolmentSchema, EnrolRequestSchema, RosterEntrySchema, RosterQuerySchema, SeatsSchema
from enrolment.waiting_list import with_positions
from shared.auth import current_principal, require_principal, requires
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
    @blp.problems("unauthorized", "offering_not_found")
    @blp.response(200, SeatsSchema)
    def get(self, offering_id):
        """Show an offering's live seat counts (of a published course; others to its coordinators only)"""
        with current_database().reading() as session:
            return operations.seats_of(session, current_principal(), offering_id)


@blp.route("/offerings/<offering_id>/roster")
class OfferingRoster(MethodView):
    @requires("coordinator", "admin")
    @blp.arguments(RosterQuerySchema, location="query")
    @blp.problems("offering_not_found")
    @blp.doc(responses={"200": {"content": {"text/csv": {"schema": {"type": "string"}}}}})
    @blp.response(200, RosterEntrySchema(many=True),
                  description="JSON, or CSV with Accept: text/csv (UTF-8 with a byte-order mark, one header "
                              "row, every cell quoted, cells a spreadsheet would run prefixed with ')")
    def get(self, query, offering_id):
        """Show the confirmed students and the waiting list in order (the course's coordinators)"""
        with current_database().reading() as session:
            entries = operations.roster(session, require_principal(), offering_id, cancelled=query["cancelled"])
            offering = operations.get_offering(session, offering_id)
        if request.accept_mimetypes.best_match(["application/json", "text/csv"]) == "text/csv":
            name = roster_file_name(offering.course_code, offering.term)
            return Response(roster_csv(RosterEntrySchema(many=True).dump(entries)), mimetype="text/csv",
                            headers={"Content-Disposition": f'attachment; filename="{name}"'})
        return entries
