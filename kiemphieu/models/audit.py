"""The append-only, hash-chained audit log (one chain per congress) and its guards."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String, UniqueConstraint, event
from sqlalchemy.orm import Mapped, Session, mapped_column

from ..extensions import db
from .common import utcnow


# ------------------------------------------------------------------ audit log


class AuditEntry(db.Model):
    """Append-only: each entry's hash covers its content and the previous entry's hash.

    One chain per congress (``chain`` = "congress-<id>") and one "system" chain for entries
    without a congress, so writers in different congresses never wait for each other.
    ``seq`` numbers a chain's entries from 1; (chain, seq) is unique, so two writers can never
    fork a chain. Written only through ``kiemphieu.audit.record``; UPDATE and DELETE are
    refused by the ORM (below) and by database triggers (migrations and create_all on SQLite).
    """

    __tablename__ = "audit_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    chain: Mapped[str] = mapped_column(String(32))
    seq: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    username: Mapped[str] = mapped_column(String(64), default="")  # kept if the user goes
    congress_id: Mapped[int | None] = mapped_column(Integer, index=True)  # no FK: outlives rows
    action: Mapped[str] = mapped_column(String(64))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)

    __table_args__ = (UniqueConstraint("chain", "seq"),)


class AuditHead(db.Model):
    """The last entry of one audit chain (its number and hash).

    Extending a chain locks this row (SELECT ... FOR UPDATE on PostgreSQL; SQLite's write
    lock), which serialises the writers of one congress only. ``audit-check`` compares it
    with the chain's last entry, so removing the newest entries shows.
    """

    __tablename__ = "audit_head"

    chain: Mapped[str] = mapped_column(String(32), primary_key=True)
    congress_id: Mapped[int | None] = mapped_column(Integer)
    seq: Mapped[int] = mapped_column(Integer, default=0)
    hash: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class AppendOnlyError(RuntimeError):
    pass


@event.listens_for(AuditEntry, "before_update")
def _refuse_audit_update(mapper, connection, target) -> None:
    raise AppendOnlyError("the audit log is append-only: an entry cannot be changed")


@event.listens_for(AuditEntry, "before_delete")
def _refuse_audit_delete(mapper, connection, target) -> None:
    raise AppendOnlyError("the audit log is append-only: an entry cannot be deleted")


# Bulk statements (session.execute(update(AuditEntry)...)) bypass the mapper events above.
@event.listens_for(Session, "do_orm_execute")
def _refuse_bulk_audit_change(state) -> None:
    if (state.is_update or state.is_delete) and state.bind_mapper is not None:
        if state.bind_mapper.class_ is AuditEntry:
            raise AppendOnlyError("the audit log is append-only: bulk UPDATE/DELETE refused")


# Database-level guard for SQLite (the default): raw SQL cannot alter the log either.
AUDIT_TRIGGERS_SQLITE = (
    "CREATE TRIGGER IF NOT EXISTS audit_entry_no_update BEFORE UPDATE ON audit_entry "
    "BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END",
    "CREATE TRIGGER IF NOT EXISTS audit_entry_no_delete BEFORE DELETE ON audit_entry "
    "BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END",
)

for _sql in AUDIT_TRIGGERS_SQLITE:
    event.listen(AuditEntry.__table__, "after_create", db.DDL(_sql).execute_if(dialect="sqlite"))
