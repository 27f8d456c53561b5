"""Write operations on users; each one writes an audit entry."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from .. import audit
from ..extensions import db, write_operation
from ..models import AuditEntry, Congress, CongressAssignment, Role, User, utcnow

# Guessing passwords on the LAN: after this many failures for one user name within the
# window, logins for that name are refused until the window has passed.
LOGIN_MAX_FAILURES = 5
LOGIN_FAILURE_WINDOW = timedelta(minutes=10)


class UserError(ValueError):
    """A refused operation, with a message for the user (Vietnamese)."""


@write_operation
def create_user(
    username: str, password: str, role: Role | str, *, full_name: str = "", by: User | None = None
) -> User:
    username = username.strip()
    if not username:
        raise UserError("Tên đăng nhập không được để trống.")
    if db.session.scalar(select(User).where(User.username == username)):
        raise UserError(f"Tên đăng nhập “{username}” đã có.")
    if len(password) < 8:
        raise UserError("Mật khẩu ít nhất 8 ký tự.")
    user = User(username=username, full_name=full_name.strip(), role=Role(role).value, active=True)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    audit.record("user.create", user=by, username=username, role=user.role)
    db.session.commit()
    return user


@write_operation
def set_password(user: User, password: str, *, by: User | None = None) -> None:
    if len(password) < 8:
        raise UserError("Mật khẩu ít nhất 8 ký tự.")
    user.set_password(password)
    audit.record("user.password", user=by, username=user.username)
    db.session.commit()


@write_operation
def set_active(user: User, active: bool, *, by: User | None = None) -> None:
    user.active = active
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


def recent_login_failures(username: str) -> list[AuditEntry]:
    """Failed logins for this user name inside the window, from the audit log."""
    since = utcnow() - LOGIN_FAILURE_WINDOW
    rows = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "auth.login_failed", AuditEntry.at >= since)
    )
    return [e for e in rows if e.detail.get("username") == username.strip()]


def login_locked_minutes(username: str) -> int:
    """0 when the name may try to log in, else the minutes left before it may try again."""
    failures = recent_login_failures(username)
    if len(failures) < LOGIN_MAX_FAILURES:
        return 0
    oldest_counted = sorted(f.at for f in failures)[-LOGIN_MAX_FAILURES]
    remaining = oldest_counted + LOGIN_FAILURE_WINDOW - utcnow()
    return max(1, -(-int(remaining.total_seconds()) // 60))


@write_operation
def record_login_failure(username: str, remote_addr: str | None) -> None:
    audit.record("auth.login_failed", username=username.strip()[:80], remote_addr=remote_addr or "")
    db.session.commit()


def authenticate(username: str, password: str) -> User | None:
    user = db.session.scalar(select(User).where(User.username == username.strip()))
    if user is None or not user.check_password(password) or not user.active:
        return None
    return user
