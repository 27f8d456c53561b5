"""The audit log: entries chain by SHA-256, tampering is detected, UPDATE/DELETE refused."""

import os

import pytest
from sqlalchemy import delete, text, update
from sqlalchemy.exc import DatabaseError

from kiemphieu import audit
from kiemphieu.extensions import db
from kiemphieu.models import AppendOnlyError, AuditEntry

# These tests tamper below the ORM or read SQLite pragmas (see KIEMPHIEU_TEST_DATABASE_URL).
sqlite_only = pytest.mark.skipif(
    not (os.environ.get("KIEMPHIEU_TEST_DATABASE_URL") or "sqlite://").startswith("sqlite"),
    reason="SQLite-specific")


def entries():
    return db.session.scalars(db.select(AuditEntry).order_by(AuditEntry.id)).all()


def test_services_write_linked_entries(make_election):
    make_election()
    log = entries()
    assert [e.action for e in log][:3] == ["organisation.create", "congress.create", "election.create"]
    assert log[0].prev_hash == audit.GENESIS
    for previous, entry in zip(log, log[1:]):
        assert entry.prev_hash == previous.hash
        assert entry.hash == audit.entry_hash(entry)
    assert audit.verify_chain().ok
    assert audit.verify_chain().entries == len(log)


def test_orm_refuses_update_and_delete(make_congress):
    make_congress()
    entry = entries()[0]
    entry.action = "forged"
    with pytest.raises(AppendOnlyError):
        db.session.commit()
    db.session.rollback()
    db.session.delete(entries()[0])
    with pytest.raises(AppendOnlyError):
        db.session.commit()
    db.session.rollback()
    with pytest.raises(AppendOnlyError):
        db.session.execute(update(AuditEntry).values(action="forged"))
    with pytest.raises(AppendOnlyError):
        db.session.execute(delete(AuditEntry))


@sqlite_only
def test_sqlite_trigger_refuses_raw_sql(make_congress):
    make_congress()
    with pytest.raises(DatabaseError, match="append-only"):
        db.session.execute(text("UPDATE audit_entry SET action = 'forged'"))
    db.session.rollback()
    with pytest.raises(DatabaseError, match="append-only"):
        db.session.execute(text("DELETE FROM audit_entry"))


def _forge(sql: str) -> None:
    """What an attacker with the database file could do: drop the triggers and edit."""
    conn = db.session.connection()
    conn.exec_driver_sql("DROP TRIGGER audit_entry_no_update")
    conn.exec_driver_sql("DROP TRIGGER audit_entry_no_delete")
    conn.exec_driver_sql(sql)
    db.session.commit()
    db.session.expire_all()


@sqlite_only
def test_verify_chain_detects_an_edited_entry(make_election):
    make_election()
    target = entries()[2]
    _forge(f"UPDATE audit_entry SET detail = '{{\"title\": \"forged\"}}' WHERE id = {target.id}")
    report = audit.verify_chain()
    assert not report.ok and report.first_bad_id == target.id and "sửa" in report.problem


@sqlite_only
def test_verify_chain_detects_a_removed_entry(make_election):
    make_election()
    target_id = entries()[1].id
    _forge(f"DELETE FROM audit_entry WHERE id = {target_id}")
    report = audit.verify_chain()
    assert not report.ok and report.first_bad_id == target_id + 1 and "đứt" in report.problem


def test_record_outside_a_request_is_the_system(app):
    entry = audit.record("test.action", note="x")
    db.session.commit()
    assert entry.username == "" and entry.user_id is None and entry.detail == {"note": "x"}
