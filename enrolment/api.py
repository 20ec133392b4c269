"""The enrolment service's HTTP API: thin views over enrolment.operations."""

from __future__ import annotations

from flask import Response, request
from flask.views import MethodView

from enrolment import applications, offers, operations
from enrolment.idempotency import idempotent
from enrolment.roster_csv import roster_csv, roster_file_name
from enrolment.schemas import (ApplicationSchema, ApplyRequestSchema, DecisionSchema, EnrolmentSchema,
                               EnrolRequestSchema, RosterEntrySchema, RosterQuerySchema, SeatsSchema)
from enrolment.waiting_list import with_positions
from shared.http.app import ServiceBlueprint
from shared.http.auth import current_principal, require_principal, requires
from shared.http.database import current_database
from shared.http.pagination import PAGINATION_HEADER, PageArgsSchema, paginate

PROBLEMS = {
    "offering_not_found": (404, "no offering with this id has been scheduled"),
    "enrolment_not_found": (404, "no enrolment with this id that you may see"),
    "already_enrolled": (409, "you are already enrolled or on the waiting list of this offering"),
    "offering_full": (409, "every seat is taken and the offering has no waiting list"),
    "enrolment_closed": (409, "outside the enrolment window, course not published, or offering cancelled"),
    "bad_idempotency_key": (400, "Idempotency-Key is not 1 to 200 visible ASCII characters"),
    "idempotency_key_reused": (422, "this Idempotency-Key was used for a different request"),
    "application_required": (409, "this offering takes applications: apply for a place instead"),
    "not_by_application": (409, "this offering takes no applications: enrol in it directly"),
    "application_not_found": (404, "no application with this id that you may see"),
    "already_applied": (409, "your application for this offering awaits a decision already"),
    "application_decided": (409, "the application is no longer pending"),
    "offer_expired": (409, "the offered seat was not accepted before its deadline: you left the waiting list"),
    "no_open_offer": (409, "no seat is offered on this enrolment (it is waiting, or was settled otherwise)"),
}
blp = ServiceBlueprint("enrolment", __name__, description="Enrolments, seats and waiting lists", problems=PROBLEMS)

@blp.route("/enrolments")
class Enrolments(MethodView):
    @requires("student")
    @blp.arguments(EnrolRequestSchema)
    @blp.problems("offering_not_found", "already_enrolled", "offering_full", "enrolment_closed",
                  "application_required", "bad_idempotency_key", "idempotency_key_reused", "rate_limited")
    @blp.response(201, EnrolmentSchema)
    @idempotent(EnrolmentSchema, status=201, attempts="enrolment_attempts")
    def post(self, body, session):
        """Enrol in an offering: a seat if one is free, else a place on the waiting list"""
        return operations.enrol_student(session, require_principal(), body["offering_id"])


@blp.route("/enrolments/me")
class MyEnrolments(MethodView):
    @requires("student", "staff")
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


@blp.route("/enrolments/<enrolment_id>/accept")
class AcceptOffer(MethodView):
    @requires("student")
    @blp.problems("enrolment_not_found", "offer_expired", "no_open_offer")
    @blp.response(200, EnrolmentSchema)
    def post(self, enrolment_id):
        """Accept the seat offered to you before its deadline: the enrolment is confirmed (repeats change nothing)"""
        with current_database().transaction() as session:
            return offers.accept_offer(session, require_principal(), enrolment_id)


@blp.route("/enrolments/<enrolment_id>/decline")
class DeclineOffer(MethodView):
    @requires("student")
    @blp.problems("enrolment_not_found", "offer_expired", "no_open_offer")
    @blp.response(200, EnrolmentSchema)
    def post(self, enrolment_id):
        """Decline the seat offered to you: the enrolment is cancelled and the seat offered to the next in line"""
        with current_database().transaction() as session:
            return offers.decline_offer(session, require_principal(), enrolment_id)


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


@blp.route("/applications")
class Applications(MethodView):
    @requires("student", "staff")
    @blp.arguments(ApplyRequestSchema)
    @blp.problems("offering_not_found", "not_by_application", "already_applied", "already_enrolled",
                  "enrolment_closed")
    @blp.response(201, ApplicationSchema)
    def post(self, body):
        """Apply for a place in an offering that takes applications (pending until coordinators decide)"""
        with current_database().transaction() as session:
            return applications.submit_application(session, require_principal(), body["offering_id"],
                                                   body["motivation"], body["proposed_dates"])


@blp.route("/applications/me")
class MyApplications(MethodView):
    @requires("student", "staff")
    @blp.arguments(PageArgsSchema, location="query")
    @blp.response(200, ApplicationSchema(many=True), headers=PAGINATION_HEADER)
    def get(self, query):
        """List your applications, newest first"""
        with current_database().reading() as session:
            return paginate(session, applications.applications_of(require_principal()), query["page"],
                            query["per_page"])


@blp.route("/offerings/<offering_id>/applications")
class OfferingApplications(MethodView):
    @requires("coordinator", "admin")
    @blp.arguments(PageArgsSchema, location="query")
    @blp.problems("offering_not_found")
    @blp.response(200, ApplicationSchema(many=True), headers=PAGINATION_HEADER)
    def get(self, query, offering_id):
        """List an offering's applications, oldest first (the course's coordinators)"""
        with current_database().reading() as session:
            return paginate(session, applications.applications_to(session, require_principal(), offering_id),
                            query["page"], query["per_page"])


@blp.route("/applications/<application_id>/approve")
class ApproveApplication(MethodView):
    @requires("coordinator", "admin")
    @blp.arguments(DecisionSchema)
    @blp.problems("application_not_found", "application_decided", "offering_full", "enrolment_closed",
                  "already_enrolled")
    @blp.response(200, ApplicationSchema)
    def post(self, body, application_id):
        """Approve an application: the applicant takes a free seat (the course's coordinators)"""
        with current_database().transaction() as session:
            return applications.approve_application(session, require_principal(), application_id, body["message"])


@blp.route("/applications/<application_id>/decline")
class DeclineApplication(MethodView):
    @requires("coordinator", "admin")
    @blp.arguments(DecisionSchema)
    @blp.problems("application_not_found", "application_decided")
    @blp.response(200, ApplicationSchema)
    def post(self, body, application_id):
        """Decline an application, with a message to the applicant (the course's coordinators)"""
        with current_database().transaction() as session:
            return applications.decline_application(session, require_principal(), application_id, body["message"])


@blp.route("/applications/<application_id>/withdraw")
class WithdrawApplication(MethodView):
    @requires("student", "staff")
    @blp.problems("application_not_found", "application_decided")
    @blp.response(200, ApplicationSchema)
    def post(self, application_id):
        """Withdraw your pending application"""
        with current_database().transaction() as session:
            return applications.withdraw_application(session, require_principal(), application_id)
