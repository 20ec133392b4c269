"""The catalogue's HTTP API: thin views over the catalogue's domain operations."""

from __future__ import annotations

from flask import url_for
from flask.views import MethodView

from catalogue import offerings, operations
from catalogue.models import Course
from catalogue.schemas import (CancelSchema, CoursePatchSchema, CourseQuerySchema, CourseSchema,
                               OfferingPatchSchema, OfferingSchema, RevisionSchema)
from catalogue.search import CATALOGUE_VERSION, is_ranked, search_courses
from shared.http.app import ServiceBlueprint
from shared.http.auth import current_principal, require_principal, requires
from shared.http.database import current_database
from shared.http.etag import cached_for_anonymous, if_match_required, version_headers
from shared.http.pagination import PAGINATION_HEADER, PageArgsSchema, paginate, paginate_ranked

PROBLEMS = {
    "course_not_found": (404, "no course with this id that you may see (drafts are private to their editors)"),
    "offering_not_found": (404, "no offering with this id that you may see"),
    "duplicate_course_code": (409, "the institution already has a course with this code"),
    "course_archived": (409, "an archived course cannot be scheduled"),
    "offering_cancelled": (409, "a cancelled offering cannot be changed"),
}
blp = ServiceBlueprint("catalogue", __name__, description="Courses and offerings of LUMC and SSMU", problems=PROBLEMS)

ETAG_HEADER = {"ETag": {"description": "The version to send back in If-Match", "schema": {"type": "string"}}}
EDITORS = ("coordinator", "admin")
# Browsers and proxies may reuse an anonymous list this long before asking again (with If-None-Match).
LIST_MAX_AGE_SECONDS = 30
LIST_CACHE_HEADERS = {
    "ETag": {"description": "Anonymous answers: send it back in If-None-Match to get 304 while the catalogue "
                            "is unchanged", "schema": {"type": "string"}},
    "Cache-Control": {"description": "Anonymous answers: public, reusable for a while", "schema": {"type": "string"}},
}


def with_version(resource):
    """Answer a course or offering with its ETag."""
    return resource, version_headers(resource.version)


@blp.route("/courses")
class Courses(MethodView):
    @cached_for_anonymous(CATALOGUE_VERSION, max_age=LIST_MAX_AGE_SECONDS)
    @blp.arguments(CourseQuerySchema, location="query")
    @blp.problems("unauthorized")
    @blp.response(200, CourseSchema(many=True), headers={**PAGINATION_HEADER, **LIST_CACHE_HEADERS})
    @blp.alt_response(304, description="Not modified: If-None-Match names the answer you have (anonymous only)")
    def get(self, query):
        """Search the courses you may see"""
        with current_database().reading() as session:
            statement = search_courses(session, current_principal(), query)
            if is_ranked(query):
                return paginate_ranked(session, statement, Course.id, query["page"], query["per_page"])
            return paginate(session, statement, query["page"], query["per_page"])

    @requires(*EDITORS)
    @blp.arguments(CourseSchema)
    @blp.problems("duplicate_course_code")
    @blp.response(201, CourseSchema, headers=ETAG_HEADER)
    def post(self, fields):
        """Create a draft course of your institution"""
        with current_database().transaction() as session:
            course = operations.create_course(session, require_principal(), fields)
        location = url_for("catalogue.CourseById", course_id=course.id)
        return course, {**version_headers(course.version), "Location": location}


@blp.route("/courses/<course_id>")
class CourseById(MethodView):
    @blp.problems("unauthorized", "course_not_found")
    @blp.response(200, CourseSchema, headers=ETAG_HEADER)
    def get(self, course_id):
        """Show one course"""
        with current_database().reading() as session:
            return with_version(operations.get_course(session, current_principal(), course_id))

    @requires(*EDITORS)
    @if_match_required
    @blp.arguments(CoursePatchSchema(partial=True))
    @blp.problems("course_not_found", "duplicate_course_code")
    @blp.response(200, CourseSchema, headers=ETAG_HEADER)
    def patch(self, fields, course_id, expected_version):
        """Change some fields of a course (If-Match required)"""
        with current_database().transaction() as session:
            return with_version(operations.update_course(session, require_principal(), course_id,
                                                         expected_version, fields))


def _status_view(status: str, summary: str):
    @requires(*EDITORS)
    @blp.problems("course_not_found", "duplicate_course_code")
    @blp.response(200, CourseSchema, headers=ETAG_HEADER)
    def post(self, course_id):
        with current_database().transaction() as session:
            return with_version(operations.set_course_status(session, require_principal(), course_id, status))

    post.__doc__ = summary
    return post


@blp.route("/courses/<course_id>/publish")
class PublishCourse(MethodView):
    post = _status_view("published", "Publish a course to everyone")


@blp.route("/courses/<course_id>/archive")
class ArchiveCourse(MethodView):
    @requires(*EDITORS)
    @blp.arguments(CancelSchema, required=False)
    @blp.problems("course_not_found")
    @blp.response(200, CourseSchema, headers=ETAG_HEADER)
    def post(self, body, course_id):
        """Archive a course; its offerings that have not ended are cancelled and their students told"""
        with current_database().transaction() as session:
            return with_version(offerings.archive_course(session, require_principal(), course_id,
                                                         body["reason"]))


@blp.route("/courses/<course_id>/history")
class CourseHistory(MethodView):
    @requires(*EDITORS)
    @blp.arguments(PageArgsSchema, location="query")
    @blp.problems("course_not_found")
    @blp.response(200, RevisionSchema(many=True), headers=PAGINATION_HEADER)
    def get(self, query, course_id):
        """Show who changed what in a course and its offerings, newest first"""
        with current_database().reading() as session:
            statement = operations.history_of(session, require_principal(), course_id)
            return paginate(session, statement, query["page"], query["per_page"])


@blp.route("/courses/<course_id>/offerings")
class CourseOfferings(MethodView):
    @blp.problems("unauthorized", "course_not_found")
    @blp.response(200, OfferingSchema(many=True))
    def get(self, course_id):
        """List a course's offerings with their live seats"""
        with current_database().reading() as session:
            return offerings.list_offerings(session, current_principal(), course_id)

    @requires(*EDITORS)
    @blp.arguments(OfferingSchema)
    @blp.problems("course_not_found", "course_archived")
    @blp.response(201, OfferingSchema, headers=ETAG_HEADER)
    def post(self, fields, course_id):
        """Schedule an offering of a course"""
        with current_database().transaction() as session:
            offering = offerings.schedule_offering(session, require_principal(), course_id, fields)
        location = url_for("catalogue.OfferingById", offering_id=offering.id)
        return offering, {**version_headers(offering.version), "Location": location}


@blp.route("/offerings/<offering_id>")
class OfferingById(MethodView):
    @blp.problems("unauthorized", "offering_not_found")
    @blp.response(200, OfferingSchema, headers=ETAG_HEADER)
    def get(self, offering_id):
        """Show one offering with its live seats"""
        with current_database().reading() as session:
            return with_version(offerings.get_offering(session, current_principal(), offering_id))

    @requires(*EDITORS)
    @if_match_required
    @blp.arguments(OfferingPatchSchema(partial=True))
    @blp.problems("offering_not_found", "offering_cancelled")
    @blp.response(200, OfferingSchema, headers=ETAG_HEADER)
    def patch(self, fields, offering_id, expected_version):
        """Change an offering: dates, window, seats, place (If-Match required)"""
        with current_database().transaction() as session:
            return with_version(offerings.update_offering(session, require_principal(), offering_id,
                                                          expected_version, fields))


@blp.route("/offerings/<offering_id>/cancel")
class CancelOffering(MethodView):
    @requires(*EDITORS)
    @blp.arguments(CancelSchema, required=False)
    @blp.problems("offering_not_found")
    @blp.response(200, OfferingSchema, headers=ETAG_HEADER)
    def post(self, body, offering_id):
        """Cancel an offering; its students are told"""
        with current_database().transaction() as session:
            return with_version(offerings.cancel_offering(session, require_principal(), offering_id,
                                                          body["reason"]))
