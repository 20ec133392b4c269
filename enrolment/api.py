"""The enrolment service's HTTP API: thin views over enrolment.operations."""

from __future__ import annotations

from flask.views import MethodView

from enrolment import operations
from enrolment.schemas import SeatsSchema
from shared.db import current_database
from shared.web import ServiceBlueprint

blp = ServiceBlueprint("enrolment", __name__, description="Enrolments, seats and waiting lists")


@blp.route("/offerings/<offering_id>/seats")
class OfferingSeats(MethodView):
    @blp.response(200, SeatsSchema)
    def get(self, offering_id):
        """Show an offering's live seat counts"""
        with current_database().transaction() as session:
            return operations.get_offering(session, offering_id)
