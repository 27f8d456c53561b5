"""Migrations on the test database (SQLite file, or PostgreSQL with KIEMPHIEU_TEST_DATABASE_URL).

- upgrade from nothing gives exactly the models' schema;
- a database holding a one-chain audit log (revision 0003) is re-chained per congress: the
  old chain's head is recorded in each new chain's first entry, every entry keeps its content,
  and the ballot rows entered before digests existed are covered from then on.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade
from sqlalchemy import text

from kiemphieu import audit
from kiemphieu.audit.check import check_congress
from kiemphieu.extensions import db
from kiemphieu.models import AuditEntry


def _upgrade(app, revision="head"):
    upgrade(directory=app.extensions["migrate"].directory, revision=revision)


def test_upgrade_from_nothing_matches_the_models(empty_app):
    _upgrade(empty_app)
    _upgrade(empty_app)  # idempotent
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, db.metadata) == []


def _v1_hash(prev, at, congress_id, action, detail):
    payload = {"prev": prev, "at": at.isoformat(timespec="microseconds"), "user_id": None, "username": "",
               "congress_id": congress_id, "action": action, "detail": detail}
    canonical = json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _legacy_database():
    """Revision 0003's tables holding two congresses, ballots and a format-1 global chain."""
    run = lambda sql, **params: db.session.execute(text(sql), params)  # noqa: E731
    now = datetime(2025, 6, 20, 8, 0)
    run("INSERT INTO organisation (id, name, created_at) VALUES (1, 'Đảng bộ xã', :t)", t=now)
    for cid in (1, 2):
        run("INSERT INTO congress (id, organisation_id, kind, name, number, term, place, convened, created_at) "
            "VALUES (:i, 1, 'members', 'Đại hội', '', '', '', 10, :t)", i=cid, t=now)
        run("INSERT INTO election (id, congress_id, kind, title, seats, position, created_at) "
            "VALUES (:i, :i, 'secretary', 'Bầu Bí thư', 1, 0, :t)", i=cid, t=now)
        run("INSERT INTO round (id, election_id, number, seats, status, entry_mode, version, created_at) "
            "VALUES (:i, :i, 1, 1, 'entry', 'single', 0, :t)", i=cid, t=now)
    ballots = [(1, 1, False), (2, 1, True), (3, 2, False)]
    for bid, rid, superseded in ballots:
        run("INSERT INTO ballot (id, round_id, entry_pass, sequence, marks, entered_at, idempotency_key, "
            "superseded, round_version) VALUES (:b, :r, 'A', :s, :m, :t, :k, :x, 0)",
            b=bid, r=rid, s=1 if bid != 2 else 2, m=json.dumps({"boxes": {}}), t=now, k=f"k{bid}", x=superseded)
    log = [(None, "organisation.create", {"name": "Đảng bộ xã"}), (1, "congress.create", {"name": "1"}),
           (2, "congress.create", {"name": "2"}), (1, "ballot.save", {"ballot_id": 1, "round_id": 1}),
           (1, "ballot.save", {"ballot_id": 2, "round_id": 1}), (2, "ballot.save", {"ballot_id": 3, "round_id": 2}),
           (1, "ballot.undo", {"ballot_id": 2, "round_id": 1})]
    prev = audit.GENESIS
    for n, (cid, action, detail) in enumerate(log, start=1):
        at = datetime(2025, 6, 20, 8, n)
        digest = _v1_hash(prev, at, cid, action, detail)
        run("INSERT INTO audit_entry (id, at, username, congress_id, action, detail, prev_hash, hash) "
            "VALUES (:i, :at, '', :c, :a, :d, :p, :h)", i=n, at=at, c=cid, a=action,
            d=json.dumps(detail, ensure_ascii=False), p=prev, h=digest)
        prev = digest
    if db.engine.dialect.name == "postgresql":  # ids were given: move the serial sequences past them
        for table in ("organisation", "congress", "election", "round", "ballot", "audit_entry"):
            run(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
    db.session.commit()
    return prev, len(log)


def test_single_chain_is_rechained_per_congress(empty_app):
    _upgrade(empty_app, "0003")
    legacy_head, legacy_count = _legacy_database()
    _upgrade(empty_app)
    db.session.expire_all()
    for congress_id in (1, 2):
        result = check_congress(congress_id)
        assert result.ok, result.problems()
        first = db.session.scalar(db.select(AuditEntry).where(AuditEntry.chain == f"congress-{congress_id}",
                                                              AuditEntry.seq == 1))
        assert first.action == "audit.rechain" and first.prev_hash == audit.GENESIS
        assert first.detail["legacy_head"] == legacy_head and first.detail["legacy_entries"] == legacy_count
        assert first.detail["legacy_chain_ok"] is True
    assert [e.action for e in db.session.scalars(
        db.select(AuditEntry).where(AuditEntry.chain == "congress-1").order_by(AuditEntry.seq))] == [
        "audit.rechain", "congress.create", "ballot.save", "ballot.save", "ballot.undo"]
    assert audit.verify_chain().ok and audit.verify_chain(None).entries == 2
    # Old content is kept: entry 4 is still the save of ballot 1, at its own time.
    kept = db.session.get(AuditEntry, 4)
    assert kept.detail == {"ballot_id": 1, "round_id": 1} and kept.at == datetime(2025, 6, 20, 8, 4)
    # The chain goes on from the migrated head, and a later edit of an old ballot shows.
    audit.record("test.after", congress=1)
    db.session.commit()
    assert audit.verify_chain(1).ok and audit.head_of(1).seq == 6
    db.session.execute(text("UPDATE ballot SET marks = :m WHERE id = 1"), {"m": json.dumps({"invalid": "other"})})
    db.session.commit()
    db.session.expire_all()
    assert not check_congress(1).ballots.ok and check_congress(2).ok


def test_a_broken_old_chain_is_recorded_as_such(empty_app):
    _upgrade(empty_app, "0003")
    legacy_head, _ = _legacy_database()
    db.session.execute(text("DROP TRIGGER IF EXISTS audit_entry_no_update")) if db.engine.dialect.name == "sqlite" \
        else db.session.execute(text("ALTER TABLE audit_entry DISABLE TRIGGER audit_entry_no_change"))
    db.session.execute(text("UPDATE audit_entry SET action = 'forged' WHERE id = 2"))
    db.session.commit()
    _upgrade(empty_app)
    first = db.session.scalar(db.select(AuditEntry).where(AuditEntry.chain == "congress-1", AuditEntry.seq == 1))
    assert first.detail["legacy_chain_ok"] is False and first.detail["legacy_head"] == legacy_head


def test_batches_migration_keeps_every_ballot_and_allows_triple_entry(empty_app):
    """0005_entry must not rebuild ``round``: on SQLite, dropping it cascades to every ballot."""
    from flask_migrate import downgrade

    _upgrade(empty_app, "0003")
    _legacy_database()
    _upgrade(empty_app)
    count = lambda: db.session.execute(text("SELECT count(*) FROM ballot")).scalar()  # noqa: E731
    assert count() == 3
    assert db.session.execute(text("SELECT DISTINCT batch FROM ballot")).scalars().all() == [1]
    db.session.execute(text("UPDATE round SET entry_mode = 'triple', batches = 2 WHERE id = 1"))
    db.session.execute(text(
        "INSERT INTO ballot (id, round_id, entry_pass, batch, sequence, marks, entered_at, idempotency_key, "
        "superseded, round_version) VALUES (9, 1, 'C', 2, 1, '{}', '2025-06-20', 'k9', :no, 0)"), {"no": False})
    db.session.commit()
    assert count() == 4
    if db.engine.dialect.name == "sqlite":
        assert db.session.execute(text("PRAGMA integrity_check")).scalar() == "ok"
    db.session.execute(text("DELETE FROM ballot WHERE id = 9"))
    db.session.execute(text("UPDATE round SET entry_mode = 'double' WHERE id = 1"))
    db.session.commit()
    db.session.remove()
    downgrade(directory=empty_app.extensions["migrate"].directory, revision="0005_security")  # 0005_entry undone
    assert count() == 3
