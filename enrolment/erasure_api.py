"""Erasure requests: accepted by the enrolment service for the whole platform (docs/privacy.md)."""

from __future__ import annotations

import marshmallow as ma
from flask.views import MethodView
from marshmallow import validate
from sqlalchemy import select

from enrolment.privacy import erase_student
from shared.http.app import ServiceBlueprint
from shared.http.auth import CLAIM_LENGTHS, require_principal, requires
from shared.http.database import current_database
from shared.http.pagination import PAGINATION_HEADER, PageArgsSchema, paginate
from shared.http.privacy import ME, subject_of
from shared.privacy import ErasureRecord

blp = ServiceBlueprint("erasure_requests", __name__, description="Asking for a person to be forgotten everywhere")


class ErasureRequestSchema(ma.Schema):
    """Whom to forget: yourself (`me`, the default), or as an admin anyone."""

    person_id = ma.fields.String(load_default=ME, validate=validate.Length(min=1, max=CLAIM_LENGTHS["sub"]))


class ErasureAcceptedSchema(ma.Schema):
    """An accepted erasure: its id, to follow it in every service (GET /erasures/{id})."""

    id = ma.fields.String()
    requested_by = ma.fields.String()
    requested_at = ma.fields.DateTime(attribute="erased_as_of")


@blp.route("/erasures")
class Erasures(MethodView):
    @requires("student", "staff", "admin")
    @blp.arguments(ErasureRequestSchema)
    @blp.response(202, ErasureAcceptedSchema)
    def post(self, body):
        """Forget a person: enrolment at once (a seat held goes to the next in line), the other services
        when the event reaches them"""
        asker = require_principal()
        subject = subject_of(asker, body["person_id"])
        with current_database().transaction() as session:
            return erase_student(session, subject, "admin" if asker.is_admin else asker.role)

    @requires("admin")
    @blp.arguments(PageArgsSchema, location="query")
    @blp.response(200, ErasureAcceptedSchema(many=True), headers=PAGINATION_HEADER)
    def get(self, query):
        """List the erasures requested, newest first (admins)"""
        with current_database().reading() as session:
            return paginate(session, select(ErasureRecord).order_by(ErasureRecord.erased_as_of.desc(),
                                                                    ErasureRecord.id), query["page"], query["per_page"])
