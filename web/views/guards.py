"""Who may open which pages (the services decide again; this only saves a pointless round trip)."""

from __future__ import annotations

from functools import wraps

from flask import abort, g, redirect, request, url_for


def signed_in(view):
    """Send anyone not signed in to the sign-in page, and back here afterwards."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if g.identity is None:
            return redirect(url_for("account.sign_in", next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)

    return wrapper


def coordinators_only(view):
    """Coordinators' and admins' pages: sign in first; students get 403."""

    @wraps(view)
    @signed_in
    def wrapper(*args, **kwargs):
        if not g.identity.manages_courses:
            abort(403)
        return view(*args, **kwargs)

    return wrapper


def admins_only(view):
    """Admins' pages: sign in first; everyone else gets 403."""

    @wraps(view)
    @signed_in
    def wrapper(*args, **kwargs):
        if not g.identity.principal.is_admin:
            abort(403)
        return view(*args, **kwargs)

    return wrapper


def participants_only(view):
    """Pages of things only students and visiting staff do: sign in first; everyone else gets 403."""

    @wraps(view)
    @signed_in
    def wrapper(*args, **kwargs):
        if not g.identity.takes_part:
            abort(403)
        return view(*args, **kwargs)

    return wrapper
