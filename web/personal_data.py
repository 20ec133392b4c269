"""A person's data gathered from the three services (GDPR article 20), and where an erasure stands in each."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

from flask import Response

from web.client import ServiceError, Services

SERVICES = ("catalogue", "enrolment", "notifications")


def export_of(services: Services, person_id: str) -> dict[str, Any]:
    """Everything the platform holds about a person, one part per service (each answers for its own)."""
    parts = {service: services.get(service, ("privacy", service, "personal-data", person_id)).body for service in SERVICES}
    return {"exported_at": datetime.now(timezone.utc).isoformat(),
            "person_id": parts["enrolment"]["person_id"],
            "services": {service: part["data"] for service, part in parts.items()}}


def download(export: dict[str, Any]) -> Response:
    """The export as a JSON file to save."""
    day = export["exported_at"][:10]
    return Response(json.dumps(export, ensure_ascii=False, indent=2), mimetype="application/json",
                    headers={"Content-Disposition": f'attachment; filename="personal-data-{day}.json"',
                             "Cache-Control": "no-store"})


def erasure_progress(services: Services, erasure_id: str) -> dict[str, dict | None]:
    """Each service's record of an erasure, or None where it has not been carried out yet."""
    progress = {}
    for service in SERVICES:
        try:
            progress[service] = services.get(service, ("privacy", service, "erasures", erasure_id)).body
        except ServiceError as error:
            if error.code != "erasure_not_found":
                raise
            progress[service] = None
    return progress
