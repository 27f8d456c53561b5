"""Access rules: every view declares one, and the app refuses to start otherwise (Arlo).

- ``@public``: anyone, logged in or not (login page, static files).
- ``@require_role(Role.X)``: logged in, and at least role X. When the URL names a congress,
  an election, a round, a ballot or a scan (``congress_id``, ``election_id``, ``round_id``,
  ``ballot_id``, ``scan_id``, ``candidate_id``), the role is the user's role *in that
  congress* (see ``User.role_in``): a counter not assigned to it gets 403. The objects found
  are put on ``g`` (``g.congress``, ``g.election``, ``g.round``...) and 404 when missing.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Flask, abort, g, redirect, request, url_for
from flask_login import current_user

from ..extensions import db
from ..models import Ballot, Candidate, Congress, Election, Role, Round, ScanImage

ACCESS_ATTR = "_kiemphieu_access"
# Flask's own static route cannot be decorated; it is public by name.
PUBLIC_ENDPOINTS = {"static"}


class AccessRuleMissing(RuntimeError):
    pass


def public(view: Callable) -> Callable:
    setattr(view, ACCESS_ATTR, "public")
    return view


_LOADERS: list[tuple[str, type, str]] = [
    ("congress_id", Congress, "congress"),
    ("election_id", Election, "election"),
    ("round_id", Round, "round"),
    ("candidate_id", Candidate, "candidate"),
    ("ballot_id", Ballot, "ballot"),
    ("scan_id", ScanImage, "scan"),
]


def _parents(obj: Any) -> dict[str, Any]:
    """The election/round/congress an object belongs to, for g and for the scope check."""
    if isinstance(obj, Ballot | ScanImage):
        return {"round": obj.round, **_parents(obj.round)}
    if isinstance(obj, Round):
        return {"election": obj.election, "congress": obj.election.congress}
    if isinstance(obj, Candidate | Election):
        election = obj if isinstance(obj, Election) else obj.election
        return {"election": election, "congress": election.congress}
    return {"congress": obj}


def _congress_from_view_args(view_args: dict[str, Any]) -> Congress | None:
    """Load the objects the URL names onto g (404 when missing) and return their congress."""
    congresses = set()
    for arg, model, name in _LOADERS:
        if arg not in view_args:
            continue
        obj = db.session.get(model, view_args[arg])
        if obj is None:
            abort(404)
        for parent_name, parent in _parents(obj).items():
            if getattr(g, parent_name, None) is None:
                setattr(g, parent_name, parent)
        setattr(g, name, obj)
        congresses.add(_parents(obj)["congress"])
    if len(congresses) > 1:
        abort(404)  # e.g. /congresses/1/elections/7 where election 7 belongs elsewhere
    return congresses.pop() if congresses else None


def require_role(minimum: Role | str) -> Callable[[Callable], Callable]:
    minimum = Role(minimum)

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def guarded(*args: Any, **kwargs: Any):
            if not current_user.is_authenticated:
                if request.is_json or request.accept_mimetypes.best == "application/json":
                    abort(401)  # a script (e.g. the entry screen's fetch) cannot follow a login page
                return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
            congress = _congress_from_view_args(kwargs)
            role = current_user.role_in(congress.id if congress else None)
            if role is None or role.rank < minimum.rank:
                abort(403)
            g.role = role
            return view(*args, **kwargs)

        setattr(guarded, ACCESS_ATTR, f"role:{minimum.value}")
        return guarded

    return decorate


def can(minimum: Role | str, congress: Congress | None = None) -> bool:
    """For templates: may the current user do what needs ``minimum`` here?"""
    if not current_user.is_authenticated:
        return False
    role = current_user.role_in(congress.id if congress else None)
    return role is not None and role.rank >= Role(minimum).rank


def check_access_rules(app: Flask) -> None:
    """Raise when any endpoint has no access rule: a forgotten decorator must not ship."""
    missing = sorted(
        endpoint
        for endpoint, view in app.view_functions.items()
        if endpoint not in PUBLIC_ENDPOINTS and not hasattr(view, ACCESS_ATTR)
    )
    if missing:
        raise AccessRuleMissing(
            "these endpoints have no access rule (@public or @require_role): " + ", ".join(missing)
        )
