"""The notification service's HTTP API: thin views over notifications.operations."""

from __future__ import annotations

from flask.views import MethodView

from notifications import operations
from notifications.schemas import PreferenceSchema
from shared.auth import require_principal, requires
from shared.db import current_database
from shared.web import ServiceBlueprint

blp = ServiceBlueprint("notifications", __name__, description="Inbox, email and preferences")


@blp.route("/preferences/me")
class MyPreferences(MethodView):
    @requires()
    @blp.response(200, PreferenceSchema)
    def get(self):
        """Show your language and email preferences"""
        with current_database().reading() as session:
            return operations.get_preferences(session, require_principal())

    @requires()
    @blp.arguments(PreferenceSchema)
    @blp.response(200, PreferenceSchema)
    def put(self, preference):
        """Set your language and email preferences"""
        with current_database().transaction() as session:
            return operations.set_preferences(session, require_principal(), **preference)
