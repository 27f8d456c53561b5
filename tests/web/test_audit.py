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


def chain_of(congress_id):
    return db.session.scalars(db.select(AuditEntry).where(AuditEntry.chain == audit.chain_key(congress_id))
                              .order_by(AuditEntry.seq)).all()


def test_services_write_linked_entries_per_chain(make_election):
    election = make_election()
    system = chain_of(None)
    congress = chain_of(election.congress_id)
    assert [e.action for e in system] == ["organisation.create"]
    assert [e.action for e in congress][:2] == ["congress.create", "election.create"]
    for chain in (system, congress):
        assert chain[0].prev_hash == audit.GENESIS and [e.seq for e in chain] == list(range(1, len(chain) + 1))
        for previous, entry in zip(chain, chain[1:]):
            assert entry.prev_hash == previous.hash
            assert entry.hash == audit.entry_hash(entry)
    head = audit.head_of(election.congress_id)
    assert (head.seq, head.hash) == (congress[-1].seq, congress[-1].hash)
    assert audit.verify_chain(election.congress_id).ok
    assert audit.verify_chain().ok and audit.verify_chain().entries == len(entries())


def test_two_congresses_keep_separate_chains(make_congress):
    first, second = make_congress(), make_congress()
    assert chain_of(first.id)[0].prev_hash == chain_of(second.id)[0].prev_hash == audit.GENESIS
    assert audit.head_of(first.id).chain == f"congress-{first.id}"
    assert audit.verify_chain(first.id).entries == 1 and audit.verify_chain(second.id).entries == 1


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
    election = make_election()
    target = chain_of(election.congress_id)[1]
    _forge(f"UPDATE audit_entry SET detail = '{{\"title\": \"forged\"}}' WHERE id = {target.id}")
    report = audit.verify_chain(election.congress_id)
    assert not report.ok and report.first_bad_id == target.id and "sửa" in report.problem
    assert not audit.verify_chain().ok


@sqlite_only
def test_verify_chain_detects_a_removed_entry(make_election):
    election = make_election()
    log = chain_of(election.congress_id)
    _forge(f"DELETE FROM audit_entry WHERE id = {log[0].id}")
    report = audit.verify_chain(election.congress_id)
    assert not report.ok and report.first_bad_id == log[1].id and "thiếu mục số 1" in report.problem


@sqlite_only
def test_verify_chain_detects_the_last_entries_cut_off(make_election):
    election = make_election()
    log = chain_of(election.congress_id)
    _forge(f"DELETE FROM audit_entry WHERE id = {log[-1].id}")
    report = audit.verify_chain(election.congress_id)
    assert not report.ok and "mất 1 mục cuối" in report.problem


def test_record_outside_a_request_is_the_system(app):
    entry = audit.record("test.action", note="x")
    db.session.commit()
    assert entry.username == "" and entry.user_id is None and entry.detail == {"note": "x"}


def test_record_outside_a_request_goes_to_the_system_chain(app):
    first = audit.record("test.one")
    second = audit.record("test.two")
    db.session.commit()
    assert (first.chain, first.seq, second.seq) == ("system", 1, 2) and second.prev_hash == first.hash
    assert audit.head_of(None).seq == 2
