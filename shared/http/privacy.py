"""What every service answers about personal data: a person's export (GDPR article 20) and whether it
has carried out an erasure. Each service passes the function that gathers what it holds."""

from __future__ import annotations

from typing import Any, Callable

import marshmallow as ma
from flask.views import MethodView
from sqlalchemy.orm import Session

from shared.db import utcnow
from shared.http.app import ServiceBlueprint
from shared.http.auth import Principal, require_principal, requires
from shared.http.database import current_database
from shared.http.errors import Problem
from shared.privacy import ERASED_BY, erasure_record, subject_hash

ME = "me"
PROBLEMS = {"erasure_not_found": (404, "this service has carried out no erasure with this id (yet)"),
            "not_found": (404, "the person's id holds a character no id can hold (NUL)")}


class PersonalDataSchema(ma.Schema):
    """Everything one service holds about a person, as JSON."""

    service = ma.fields.String()
    person_id = ma.fields.String()
    exported_at = ma.fields.DateTime()
    data = ma.fields.Dict(metadata={"description": "The service's records of the person, by kind"})


class ErasureSchema(ma.Schema):
    """That a service carried out an erasure: when, and as of which instant. Never who."""

    id = ma.fields.String()
    service = ma.fields.String()
    status = ma.fields.String(metadata={"enum": ["complete", "in_progress"], "description":
                                        "in_progress while copies outside the database (mail files) remain"})
    requested_by = ma.fields.String(metadata={"enum": list(ERASED_BY)})
    subject_hash = ma.fields.String(metadata={"description": "The person, one-way hashed: what `python -m services "
                                                             "broker dlq scrub` takes to find their dead letters"})
    erased_as_of = ma.fields.DateTime()
    completed_at = ma.fields.DateTime()


def subject_of(asker: Principal, person_id: str) -> str:
    """The person a privacy request is about: yourself (`me` or your id), or anyone for an admin."""
    if person_id in (ME, asker.id):
        return asker.id
    if not asker.is_admin:
        raise Problem(403, "forbidden", "Only admins act on another person's data.")
    return person_id


def privacy_blueprint(service: str, collect: Callable[[Session, str], dict[str, Any]],
                      outstanding: Callable[[Session, str], bool] = lambda _session, _erasure_id: False
                      ) -> ServiceBlueprint:
    """Return the blueprint of a service's export and erasure records, under /privacy/<service>/ so that one
    proxy in front of all three routes each to its service; `collect(session, person_id)`
    gathers what the service holds about a person, `outstanding(session, erasure_id)` tells whether an
    erasure recorded still has copies to remove outside the database."""
    blp = ServiceBlueprint("privacy", __name__, description="Personal data: export, and erasures carried out",
                           problems=PROBLEMS)

    @blp.route(f"/privacy/{service}/personal-data/<person_id>")
    class PersonalData(MethodView):
        @requires()
        @blp.problems("forbidden", "not_found")
        @blp.response(200, PersonalDataSchema)
        def get(self, person_id):
            """Export everything this service holds about you (`me`), or as an admin about anyone"""
            subject = subject_of(require_principal(), person_id)
            with current_database().reading() as session:
                return {"service": service, "person_id": subject, "exported_at": utcnow(),
                        "data": collect(session, subject)}

    @blp.route(f"/privacy/{service}/erasures/<erasure_id>")
    class Erasure(MethodView):
        @requires()
        @blp.problems("erasure_not_found")
        @blp.response(200, ErasureSchema)
        def get(self, erasure_id):
            """Show whether this service has carried out an erasure (admins, and the person erased)"""
            asker = require_principal()
            with current_database().reading() as session:
                record = erasure_record(session, erasure_id)
                done = record is not None and not outstanding(session, erasure_id)
            if record is None or not (asker.is_admin or record.subject_hash == subject_hash(asker.id)):
                raise Problem(404, "erasure_not_found", f"{service} has carried out no erasure {erasure_id}.")
            return {"id": record.id, "service": service, "status": "complete" if done else "in_progress",
                    "requested_by": record.requested_by,
                    "subject_hash": record.subject_hash,
                    "erased_as_of": record.erased_as_of, "completed_at": record.completed_at}

    return blp
