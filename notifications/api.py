"""The notification service's HTTP API: thin views over notifications.operations."""

from __future__ import annotations

from flask.views import MethodView

from notifications import operations
from notifications.schemas import NotificationSchema, PreferenceSchema
from shared.http.app import ServiceBlueprint
from shared.http.auth import require_principal, requires
from shared.http.database import current_database
from shared.http.pagination import PAGINATION_HEADER, PageArgsSchema, paginate

PROBLEMS = {"notification_not_found": (404, "no notification of yours with this id")}
blp = ServiceBlueprint("notifications", __name__, description="Inbox, email and preferences", problems=PROBLEMS)

INBOX_HEADERS = {**PAGINATION_HEADER, "X-Unread-Count": {"description": "How many of your notifications are unread",
                                                         "schema": {"type": "integer"}}}


@blp.route("/notifications/me")
class MyNotifications(MethodView):
    @requires()
    @blp.arguments(PageArgsSchema, location="query")
    @blp.response(200, NotificationSchema(many=True), headers=INBOX_HEADERS)
    def get(self, query):
        """List your notifications, newest first, with the unread count"""
        person = require_principal()
        with current_database().reading() as session:
            items, headers = paginate(session, operations.inbox_of(person), query["page"], query["per_page"])
            headers["X-Unread-Count"] = str(operations.unread_count(session, person))
            return items, headers


@blp.route("/notifications/<notification_id>/read")
class ReadNotification(MethodView):
    @requires()
    @blp.problems("notification_not_found")
    @blp.response(200, NotificationSchema)
    def post(self, notification_id):
        """Mark one of your notifications read"""
        with current_database().transaction() as session:
            return operations.mark_read(session, require_principal(), notification_id)


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
