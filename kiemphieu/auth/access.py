"""Access rules: every view declares one, and the app refuses to start otherwise (Arlo).

- ``@public``: anyone, logged in or not (login page, static files).
- ``@require_role(Role.X)``: logged in, and at least role X *where the URL points*:
  - the URL names a congress, an election, a round, a ballot, a scan or a candidate: the
    user's role in that congress (``role_in_congress``); a user without one gets 403;
  - it names an organisation (``organisation_id``): the role on that organisation
    (``role_on_organisation``);
  - it names nothing: the highest role the user holds anywhere (``highest_role``); the page
    then shows only what is in the user's scope (``organiser_scope``, ``visible_*``).
  The objects found are put on ``g`` (``g.congress``, ``g.organisation``...) and 404 when missing.

Where a role comes from, most specific first (Indico's protection parents):
1. administrators: everything;
2. a congress assignment (``CongressAssignment``): that role in that congress, also a lower
   one than the user has above it (an organiser made viewer of one congress is a viewer there);
3. the nearest grant (``OrganisationGrant``) on the congress's organisation or an ancestor:
   a district organiser organises every congress below the district, and nothing else;
4. the global role, for organisers and viewers an administrator made global; a global
   counter has no role anywhere without 2 or 3.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Flask, abort, g, redirect, request, url_for
from flask_login import current_user
from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload

from ..extensions import db
from .lean import load_entry_round
from ..models import Ballot, Candidate, Congress, Election, Job, Organisation, Role, Round, ScanImage, User

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
    ("job_id", Job, "job"),  # a generated document: its congress's role, then the one it needs
]


# A round is loaded with its election and congress in one query (the role check needs them).
_LOAD_OPTIONS: dict[type, list] = {
    Round: [joinedload(Round.election).joinedload(Election.congress)],
    Election: [joinedload(Election.congress)],
}
_LOAD_STATEMENTS: dict[type, Any] = {}


def _load_by_id(model: type, value: Any) -> Any:
    """``session.get`` with the model's load options, as a statement built once per model
    (building the options costs as much as the query; every request under a URL with an id
    runs one)."""
    found = db.session.identity_map.get(db.session.identity_key(model, (value,)))
    if found is not None:
        return found
    statement = _LOAD_STATEMENTS.get(model)
    if statement is None:
        primary_key = model.__mapper__.primary_key[0]
        statement = _LOAD_STATEMENTS[model] = (select(model).options(*_LOAD_OPTIONS.get(model, ()))
                                               .where(primary_key == bindparam("id")))
    return db.session.execute(statement, {"id": value}).unique().scalar_one_or_none()


def _parents(obj: Any) -> dict[str, Any]:
    """The election/round/congress an object belongs to, for g and for the scope check."""
    if isinstance(obj, Ballot | ScanImage):
        return {"round": obj.round, **_parents(obj.round)}
    if isinstance(obj, Round):
        return {"election": obj.election, "congress": obj.election.congress}
    if isinstance(obj, Job):
        return {"congress": obj.congress}
    if isinstance(obj, Candidate | Election):
        election = obj if isinstance(obj, Election) else obj.election
        return {"election": election, "congress": election.congress}
    return {"congress": obj}


# ------------------------------------------------------------------ where a role comes from

GLOBAL_SCOPE_ROLES = (Role.ORGANISER, Role.VIEWER)


def _global_role(user: User) -> Role | None:
    role = user.global_role
    return role if role is Role.ADMIN or role in GLOBAL_SCOPE_ROLES else None


def role_on_organisation(user: User, organisation: Organisation) -> Role | None:
    """The nearest grant on the organisation or an ancestor, else the global role."""
    if user.is_admin:
        return Role.ADMIN
    grants = {grant.organisation_id: Role(grant.role) for grant in user.grants}
    for node in organisation.lineage():
        if node.id in grants:
            return grants[node.id]
    return _global_role(user)


def role_in_congress(user: User, congress: Congress) -> Role | None:
    return role_in_congress_id(user, congress.id, congress)


def role_in_congress_id(user: User, congress_id: int, congress: Congress | None = None) -> Role | None:
    """``role_in_congress`` from the congress's id: the congress is loaded only when the role
    comes from a grant up its organisation tree (an administrator and an assigned clerk, the
    ballot save's users, need no more than the user row and its assignments)."""
    if user.is_admin:
        return Role.ADMIN
    for assignment in user.assignments:
        if assignment.congress_id == congress_id:
            return Role(assignment.role)
    congress = congress or db.session.get(Congress, congress_id)
    return role_on_organisation(user, congress.organisation) if congress is not None else None


def highest_role(user: User) -> Role | None:
    """For pages that name no object: the strongest role held anywhere (the page filters)."""
    roles = [user.global_role] + [Role(g.role) for g in user.grants]
    return max(roles, key=lambda r: r.rank)


def _subtree_ids(organisation: Organisation) -> set[int]:
    ids, stack = set(), [organisation]
    while stack:
        node = stack.pop()
        if node.id not in ids:
            ids.add(node.id)
            stack.extend(node.children)
    return ids


def organisation_roles(user: User) -> dict[int, Role | None]:
    """The user's role on every organisation, from one query (the same rule as
    ``role_on_organisation``: the nearest grant up the tree, else the global role)."""
    parents = dict(db.session.execute(select(Organisation.id, Organisation.parent_id)).all())
    if user.is_admin:
        return {oid: Role.ADMIN for oid in parents}
    grants = {grant.organisation_id: Role(grant.role) for grant in user.grants}
    fallback = _global_role(user)
    roles: dict[int, Role | None] = {}
    for oid in parents:
        node, seen, role = oid, set(), fallback
        while node is not None and node not in seen:
            if node in grants:
                role = grants[node]
                break
            seen.add(node)
            node = parents.get(node)
        roles[oid] = role
    return roles


def congress_roles(user: User) -> dict[int, Role]:
    """Congress id -> the user's role, for every congress they may see (two queries, however
    many congresses: for lists and dashboards)."""
    rows = db.session.execute(select(Congress.id, Congress.organisation_id)).all()
    by_organisation = organisation_roles(user)
    assigned = {} if user.is_admin else {a.congress_id: Role(a.role) for a in user.assignments}
    roles = {}
    for congress_id, organisation_id in rows:
        role = assigned.get(congress_id) or by_organisation.get(organisation_id)
        if role is not None:
            roles[congress_id] = role
    return roles


def organisation_scope(user: User, minimum: Role) -> set[int] | None:
    """Ids of the organisations where the user holds at least ``minimum``; None: all of them."""
    if user.is_admin:
        return None
    everything = _global_role(user) is not None and _global_role(user).rank >= minimum.rank
    if everything and not user.grants:
        return None
    return {oid for oid, role in organisation_roles(user).items() if role is not None and role.rank >= minimum.rank}


def organiser_scope(user: User) -> set[int] | None:
    return organisation_scope(user, Role.ORGANISER)


def visible_organisations(user: User, minimum: Role = Role.VIEWER) -> list[Organisation]:
    scope = organisation_scope(user, minimum)
    rows = db.session.scalars(select(Organisation).order_by(Organisation.name)).all()
    return [o for o in rows if scope is None or o.id in scope]


def may_edit_organisation(user: User, organisation: Organisation) -> bool:
    """Organiser of the organisation *and* of each of its congresses: its name is printed on
    their ballots and minutes, so a user made viewer of one of them may not rename it."""
    role = role_on_organisation(user, organisation)
    if role is None or role.rank < Role.ORGANISER.rank:
        return False
    return all((r := role_in_congress(user, c)) is not None and r.rank >= Role.ORGANISER.rank
               for c in organisation.congresses)


def editable_organisations(user: User) -> set[int]:
    """The ids ``may_edit_organisation`` allows, for a whole list (three queries)."""
    by_organisation = organisation_roles(user)
    roles = congress_roles(user)
    blocked = {organisation_id for congress_id, organisation_id in
               db.session.execute(select(Congress.id, Congress.organisation_id)).all()
               if roles.get(congress_id) is None or roles[congress_id].rank < Role.ORGANISER.rank}
    return {oid for oid, role in by_organisation.items()
            if role is not None and role.rank >= Role.ORGANISER.rank and oid not in blocked}


_UNREAD = object()


def manages_user(actor: User, user: User, scope: set[int] | None | object = _UNREAD) -> bool:
    """Administrators manage every other user; an organiser manages a user whose every grant
    and assignment lies in the organiser's scope and who has no global role of their own.
    ``scope``: the actor's ``organiser_scope``, when a list asks for many users."""
    if actor.id == user.id:
        return False
    if actor.is_admin:
        return True
    scope = organiser_scope(actor) if scope is _UNREAD else scope
    if scope is None:
        return not user.is_admin
    if user.global_role is not Role.COUNTER:
        return False
    places = [g.organisation_id for g in user.grants] + [a.congress.organisation_id for a in user.assignments]
    return bool(places) and all(place in scope for place in places)


# ------------------------------------------------------------------ the decorator


def _congress_from_view_args(view_args: dict[str, Any]) -> Congress | None:
    """Load the objects the URL names onto g (404 when missing) and return their congress."""
    congresses = set()
    for arg, model, name in _LOADERS:
        if arg not in view_args:
            continue
        obj = _load_by_id(model, view_args[arg])
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


LEAN_ATTR = "_kiemphieu_lean"


def is_lean_view(view: Callable | None) -> bool:
    return bool(getattr(view, LEAN_ATTR, False))


def require_role(minimum: Role | str, *, lean: bool = False) -> Callable[[Callable], Callable]:
    """``lean``: the view (the ballot save) gets the user and the URL's round as plain rows
    (``auth.lean``: ``LeanUser``, ``g.round`` an ``EntryRound``; its URL names a round and
    nothing else) instead of ORM objects; the same rules decide the role."""
    minimum = Role(minimum)

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def guarded(*args: Any, **kwargs: Any):
            if not current_user.is_authenticated:
                if request.is_json or request.accept_mimetypes.best == "application/json":
                    abort(401)  # a script (e.g. the entry screen's fetch) cannot follow a login page
                return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
            user = current_user._get_current_object()
            if lean:
                g.round = load_entry_round(kwargs["round_id"]) or abort(404)
                role = role_in_congress_id(user, g.round.election.congress_id)
            elif (congress := _congress_from_view_args(kwargs)) is not None:
                role = role_in_congress(user, congress)
            elif "organisation_id" in kwargs:
                g.organisation = db.session.get(Organisation, kwargs["organisation_id"]) or abort(404)
                role = role_on_organisation(user, g.organisation)
            else:
                role = highest_role(user)
            if role is None or role.rank < minimum.rank:
                abort(403)
            g.role = role
            return view(*args, **kwargs)

        setattr(guarded, ACCESS_ATTR, f"role:{minimum.value}")
        setattr(guarded, LEAN_ATTR, lean)
        return guarded

    return decorate


def can(minimum: Role | str, congress: Congress | None = None, organisation: Organisation | None = None) -> bool:
    """For templates: may the current user do what needs ``minimum`` here?"""
    if not current_user.is_authenticated:
        return False
    user = current_user._get_current_object()
    if congress is not None:
        role = role_in_congress(user, congress)
    elif organisation is not None:
        role = role_on_organisation(user, organisation)
    else:
        role = highest_role(user)
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
