"""Write operations on users; each one writes an audit entry."""

from __future__ import annotations

import secrets

from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from .. import audit
from ..extensions import db, write_operation
from ..models import Congress, CongressAssignment, Organisation, OrganisationGrant, Role, User
from ..tally import InvalidName, clean_name

PASSWORD_MIN = 8
PASSWORD_MAX = 200  # hashing a megabyte "password" on every try would be a cheap attack


class UserError(ValueError):
    """A refused operation, with a message for the user (Vietnamese)."""


@write_operation
def create_user(
    username: str, password: str, role: Role | str, *, full_name: str = "", by: User | None = None,
    grant_on: Organisation | None = None, grant_role: Role | str | None = None,
) -> User:
    """A new login; with ``grant_on``, also its role on that organisation's subtree (in the
    same transaction: an organiser's new user is never left outside their scope)."""
    username = username.strip()
    if not username:
        raise UserError("Tên đăng nhập không được để trống.")
    if db.session.scalar(select(User).where(User.username == username)):
        raise UserError(f"Tên đăng nhập “{username}” đã có.")
    check_new_password(password)
    user = User(username=username, full_name=clean_full_name(full_name), role=Role(role).value, active=True)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    audit.record("user.create", user=by, username=username, role=user.role)
    if grant_on is not None:
        _grant(user, grant_on, grant_role or Role.COUNTER, by)
    db.session.commit()
    return user


def _grant(user: User, organisation: Organisation, role: Role | str, by: User | None) -> OrganisationGrant:
    role = Role(role)
    if role is Role.ADMIN:
        raise UserError("Không thể giao vai trò quản trị theo tổ chức đảng.")
    grant = db.session.scalar(
        select(OrganisationGrant).where(OrganisationGrant.user_id == user.id,
                                        OrganisationGrant.organisation_id == organisation.id)
    )
    if grant is None:
        grant = OrganisationGrant(user=user, organisation=organisation, role=role.value)
        db.session.add(grant)
    else:
        grant.role = role.value
    db.session.flush()
    audit.record("user.grant", user=by, username=user.username, organisation_id=organisation.id,
                 organisation=organisation.name, role=role.value)
    return grant


@write_operation
def grant(user: User, organisation: Organisation, role: Role | str, *, by: User | None = None) -> OrganisationGrant:
    """Give (or change) a user's role on an organisation and everything below it."""
    result = _grant(user, organisation, role, by)
    db.session.commit()
    return result


@write_operation
def revoke(grant: OrganisationGrant, *, by: User | None = None) -> None:
    username, organisation = grant.user.username, grant.organisation
    db.session.delete(grant)
    audit.record("user.revoke", user=by, username=username, organisation_id=organisation.id,
                 organisation=organisation.name)
    db.session.commit()


def clean_full_name(full_name: str | None) -> str:
    try:
        # A login may belong to a team ("Tổ nhập phiếu 1"): a title's characters, not only a person's.
        return clean_name(full_name or "", label="Họ và tên", kind="title", required=False)
    except InvalidName as exc:
        raise UserError(str(exc)) from None


def check_new_password(password: str) -> None:
    if len(password) < PASSWORD_MIN:
        raise UserError(f"Mật khẩu ít nhất {PASSWORD_MIN} ký tự.")
    if len(password) > PASSWORD_MAX:
        raise UserError(f"Mật khẩu dài nhất {PASSWORD_MAX} ký tự.")


@write_operation
def set_password(user: User, password: str, *, by: User | None = None) -> None:
    """A new password; every session, remember cookie and station token of the user ends."""
    check_new_password(password)
    user = db.session.get(User, user.id)
    user.set_password(password)
    audit.record("user.password", user=by, username=user.username, own=by is not None and by.id == user.id)
    db.session.commit()


@write_operation
def change_own_password(user: User, current: str, new: str) -> None:
    user = db.session.get(User, user.id)
    if not user.check_password(current):
        raise UserError("Mật khẩu hiện tại không đúng.")
    if new == current:
        raise UserError("Mật khẩu mới phải khác mật khẩu hiện tại.")
    check_new_password(new)
    user.set_password(new)
    audit.record("user.password", user=user, username=user.username, own=True)
    db.session.commit()


@write_operation
def end_sessions(user: User) -> None:
    """Logout: the user's sessions and remember cookies stop working on every machine."""
    user = db.session.get(User, user.id)
    user.end_sessions()
    audit.record("auth.logout", user=user)
    db.session.commit()


@write_operation
def set_global_role(user: User, role: Role | str, *, by: User | None = None) -> None:
    """An administrator changes another user's server-wide role (e.g. a district organiser
    created as a global viewer by mistake). It applies from the user's next request."""
    role = Role(role)
    if by is not None and by.id == user.id:
        raise UserError("Không thể đổi vai trò chung của chính mình.")
    if user.global_role is role:
        return
    user.role = role.value
    audit.record("user.role", user=by, username=user.username, role=role.value)
    db.session.commit()


@write_operation
def set_active(user: User, active: bool, *, by: User | None = None) -> None:
    user.active = active
    if not active:
        user.end_sessions()
    audit.record("user.activate" if active else "user.deactivate", user=by, username=user.username)
    db.session.commit()


@write_operation
def assign(user: User, congress: Congress, role: Role | str, *, by: User | None = None) -> CongressAssignment:
    """Give (or change) a user's role in one congress."""
    role = Role(role)
    if role is Role.ADMIN:
        raise UserError("Không thể phân công vai trò quản trị theo từng đại hội.")
    assignment = db.session.scalar(
        select(CongressAssignment).where(
            CongressAssignment.user_id == user.id, CongressAssignment.congress_id == congress.id
        )
    )
    if assignment is None:
        assignment = CongressAssignment(user=user, congress=congress, role=role.value)
        db.session.add(assignment)
    else:
        assignment.role = role.value
    audit.record("user.assign", congress=congress, user=by, username=user.username, role=role.value)
    db.session.commit()
    return assignment


@write_operation
def unassign(assignment: CongressAssignment, *, by: User | None = None) -> None:
    congress, username = assignment.congress, assignment.user.username
    db.session.delete(assignment)
    audit.record("user.unassign", congress=congress, user=by, username=username)
    db.session.commit()


_DUMMY_HASH: list[str] = []


def _dummy_hash() -> str:
    """A hash of a random password, made with the same method as real ones (made once)."""
    if not _DUMMY_HASH:
        _DUMMY_HASH.append(generate_password_hash(secrets.token_hex(16)))
    return _DUMMY_HASH[0]


@write_operation
def record_login(user: User) -> None:
    """The audit entry of a login, under the write lock from the start: on SQLite a read
    transaction that then writes fails at once ("database is locked") when another writer
    committed meanwhile, as 60 clerks logging in together showed."""
    audit.record("auth.login", user=user)
    db.session.commit()


def authenticate(username: str, password: str) -> User | None:
    """The user when the name and password are right and the account is active.

    An unknown name costs one password hash too, so the answer's time does not tell which
    names exist.
    """
    user = db.session.scalar(select(User).where(User.username == username.strip()))
    if user is None:
        check_password_hash(_dummy_hash(), password)
        return None
    if not user.check_password(password) or not user.active:
        return None
    return user
