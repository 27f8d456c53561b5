"""Organisations, users and who may do what where (grants, congress assignments)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from flask_login import UserMixin
from sqlalchemy import Boolean, CheckConstraint, DateTime, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import db
from .common import Role, new_session_token, utcnow

if TYPE_CHECKING:
    from .congress import Congress


# ------------------------------------------------------------------ users and access


class User(UserMixin, db.Model):
    __tablename__ = "user"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    full_name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(16), default=Role.VIEWER.value)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # Part of every session and remember cookie (``get_id``): a new token on logout, password
    # change and deactivation ends every session of the user, on every machine.
    session_token: Mapped[str] = mapped_column(String(64), default=new_session_token)

    assignments: Mapped[list[CongressAssignment]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )
    grants: Mapped[list[OrganisationGrant]] = relationship(back_populates="user", cascade="all, delete-orphan")

    __table_args__ = (CheckConstraint("role IN ('admin','organiser','counter','viewer')", name="role"),)

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)
        self.end_sessions()

    def end_sessions(self) -> None:
        """Every session and remember cookie issued so far stops working."""
        self.session_token = new_session_token()

    def get_id(self) -> str:
        return f"{self.id}.{self.session_token}"

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    @property
    def global_role(self) -> Role:
        return Role(self.role)

    @property
    def is_admin(self) -> bool:
        return self.global_role is Role.ADMIN

    @property
    def role_summary(self) -> str:
        """What the header says the user is: the server-wide role, or, for a user whose rights
        come from grants (a district organiser), the strongest grant and where it holds."""
        if self.global_role is not Role.COUNTER or not self.grants:
            return self.global_role.label
        strongest = max(self.grants, key=lambda grant: Role(grant.role).rank)
        others = len(self.grants) - 1
        return f"{Role(strongest.role).label} · {strongest.organisation.name}" + (f" (+{others})" if others else "")

    def role_in(self, congress_id: int | None) -> Role | None:
        """The user's role for one congress (None: they may not see it); with None, the
        highest role they hold anywhere. The rules live in ``kiemphieu.auth.access``."""
        from ..auth import access
        from .congress import Congress

        if congress_id is None:
            return access.highest_role(self)
        congress = db.session.get(Congress, congress_id)
        return access.role_in_congress(self, congress) if congress is not None else None

    def __repr__(self) -> str:
        return f"<User {self.username} {self.role}>"


class CongressAssignment(db.Model):
    """A user's role scoped to one congress (counters see only the congresses assigned)."""

    __tablename__ = "congress_assignment"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    congress_id: Mapped[int] = mapped_column(ForeignKey("congress.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(16), default=Role.COUNTER.value)

    user: Mapped[User] = relationship(back_populates="assignments")
    congress: Mapped[Congress] = relationship(back_populates="assignments")

    __table_args__ = (
        UniqueConstraint("user_id", "congress_id"),
        CheckConstraint("role IN ('organiser','counter','viewer')", name="role"),
    )


class OrganisationGrant(db.Model):
    """A role on an organisation and everything below it (its congresses, its sub-organisations)."""

    __tablename__ = "organisation_grant"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(16), default=Role.VIEWER.value)

    user: Mapped[User] = relationship(back_populates="grants")
    organisation: Mapped[Organisation] = relationship(back_populates="grants")

    __table_args__ = (
        UniqueConstraint("user_id", "organisation_id"),
        CheckConstraint("role IN ('organiser','counter','viewer')", name="role"),
    )


class LoginThrottle(db.Model):
    """Failed logins inside the current window, per (client address, user name) and per address.

    Updated with single-row UPDATEs, so parallel guesses are counted one by one; there is no
    per-name key, so nobody can lock an account for everybody (``kiemphieu.auth.throttle``).
    """

    __tablename__ = "login_throttle"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    window_start: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)


class OrganisationLevel(StrEnum):
    """Levels of the Party's organisation tree, highest first."""

    PROVINCE = "province"
    DISTRICT = "district"
    GRASSROOTS = "grassroots"
    CELL = "cell"

    @property
    def label(self) -> str:
        return ORGANISATION_LEVEL_LABELS[self]


ORGANISATION_LEVEL_LABELS = {
    OrganisationLevel.PROVINCE: "Tỉnh (thành phố)",
    OrganisationLevel.DISTRICT: "Huyện / đảng bộ cấp trên cơ sở",
    OrganisationLevel.GRASSROOTS: "Cơ sở",
    OrganisationLevel.CELL: "Chi bộ",
}


class Organisation(db.Model):
    """A Party organisation (Đảng bộ / Chi bộ), with its parent (the next level up).

    A role granted on an organisation (``OrganisationGrant``) holds for its whole subtree
    (``kiemphieu.auth.access``)."""

    __tablename__ = "organisation"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    level: Mapped[str] = mapped_column(String(16), default=OrganisationLevel.GRASSROOTS.value)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    parent: Mapped[Organisation | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[Organisation]] = relationship(back_populates="parent")
    congresses: Mapped[list[Congress]] = relationship(back_populates="organisation")
    grants: Mapped[list[OrganisationGrant]] = relationship(
        back_populates="organisation", cascade="all, delete-orphan"
    )

    __table_args__ = (CheckConstraint("level IN ('province','district','grassroots','cell')", name="level"),)

    @property
    def organisation_level(self) -> OrganisationLevel:
        return OrganisationLevel(self.level)

    def lineage(self) -> list[Organisation]:
        """This organisation, then its parent, up to the root (a cycle stops the walk)."""
        chain, seen, node = [], set(), self
        while node is not None and node.id not in seen:
            chain.append(node)
            seen.add(node.id)
            node = node.parent
        return chain

    def __repr__(self) -> str:
        return f"<Organisation {self.name}>"
