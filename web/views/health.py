"""Liveness and readiness for the launcher, compose and load balancers."""

from flask import Blueprint, jsonify

blp = Blueprint("health", __name__)


@blp.get("/health/live")
def live():
    """The process answers."""
    return jsonify(status="ok")


@blp.get("/health/ready")
def ready():
    """Ready as soon as it answers: the front end keeps no state, and shows a page when a service is down."""
    return jsonify(status="ok")
