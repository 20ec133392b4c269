"""The catalogue's HTTP API: thin views over catalogue.operations."""

from __future__ import annotations

from flask.views import MethodView

from catalogue import operations
from catalogue.schemas import CourseQuerySchema, CourseSchema, OfferingSchema
from shared.auth import current_principal
from shared.db import current_database
from shared.pagination import PAGINATION_HEADER, paginate
from shared.web import ServiceBlueprint

blp = ServiceBlueprint("catalogue", __name__, description="Courses and offerings of LUMC and SSMU")


@blp.route("/courses")
class Courses(MethodView):
    @blp.arguments(CourseQuerySchema, location="query")
    @blp.response(200, CourseSchema(many=True), headers=PAGINATION_HEADER)
    def get(self, query):
        """List the courses you may see"""
        statement = operations.list_courses(current_principal(), query.get("institution"))
        with current_database().transaction() as session:
            return paginate(session, statement, query["page"], query["per_page"])


@blp.route("/courses/<course_id>")
class CourseById(MethodView):
    @blp.response(200, CourseSchema)
    def get(self, course_id):
        """Show one course"""
        with current_database().transaction() as session:
            return operations.get_course(session, current_principal(), course_id)


@blp.route("/courses/<course_id>/offerings")
class CourseOfferings(MethodView):
    @blp.response(200, OfferingSchema(many=True))
    def get(self, course_id):
        """List a course's offerings with their live seats"""
        with current_database().transaction() as session:
            return operations.list_offerings(session, current_principal(), course_id)


@blp.route("/offerings/<offering_id>")
class OfferingById(MethodView):
    @blp.response(200, OfferingSchema)
    def get(self, offering_id):
        """Show one offering with its live seats"""
        with current_database().transaction() as session:
            return operations.get_offering(session, current_principal(), offering_id)
