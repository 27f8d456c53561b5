"""Migration 0007_bodies on a database holding a counted round: nothing is lost (a SQLite
table rebuild would cascade-delete an election's rounds and ballots), every election and
exclusion is the congress's, and downgrading gives the columns back."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from kiemphieu.extensions import db


def _migrate(app, revision, down=False):
    (downgrade if down else upgrade)(directory=app.extensions["migrate"].directory, revision=revision)


def _counted_round():
    run = lambda sql, **params: db.session.execute(text(sql), params)  # noqa: E731
    now = datetime(2025, 6, 20, 8, 0)
    run("INSERT INTO organisation (id, name, created_at) VALUES (1, 'Đảng bộ xã Yên Lập', :t)", t=now)
    run("INSERT INTO congress (id, organisation_id, kind, name, number, term, place, convened, created_at) "
        "VALUES (1, 1, 'delegates', 'Đại hội', '', '', 'Hội trường', 150, :t)", t=now)
    run("INSERT INTO exclusion (id, congress_id, count, reason) VALUES (1, 1, 2, 'Vắng cả kỳ đại hội')")
    run("INSERT INTO election (id, congress_id, kind, title, seats, position, created_at) "
        "VALUES (1, 1, 'secretary', 'Bầu Bí thư', 1, 0, :t)", t=now)
    run("INSERT INTO round (id, election_id, number, seats, status, entry_mode, version, created_at) "
        "VALUES (1, 1, 1, 1, 'entry', 'single', 0, :t)", t=now)
    for n in (1, 2, 3):
        run("INSERT INTO ballot (id, round_id, entry_pass, sequence, marks, entered_at, idempotency_key, "
            "superseded, round_version) VALUES (:n, 1, 'A', :n, :m, :t, :k, false, 0)",
            n=n, m=json.dumps({"boxes": {}}), t=now, k=f"k{n}")
    db.session.commit()


def test_upgrade_keeps_every_row_and_gives_the_congress_body(empty_app):
    _migrate(empty_app, "0006_audit")
    _counted_round()
    _migrate(empty_app, "0007_bodies")
    counts = {t: db.session.execute(text(f"SELECT COUNT(*) FROM {t}")).scalar()
              for t in ("election", "round", "ballot", "exclusion")}
    assert counts == {"election": 1, "round": 1, "ballot": 3, "exclusion": 1}
    assert db.session.execute(text("SELECT body FROM election")).scalar() == "congress"
    assert db.session.execute(text("SELECT body FROM exclusion")).scalar() == "congress"
    row = db.session.execute(text("SELECT committee_convened, locality, presidium_signer FROM congress")).one()
    assert tuple(row) == (None, "", "")
    with pytest.raises(Exception):  # the check holds on upgraded databases too
        db.session.execute(text("UPDATE election SET body = 'plenum'"))
        db.session.commit()
    db.session.rollback()
    _migrate(empty_app, "0006_audit", down=True)
    columns = {c["name"] for c in inspect(db.engine).get_columns("election")}
    assert "body" not in columns
    assert db.session.execute(text("SELECT COUNT(*) FROM ballot")).scalar() == 3


def test_upgrading_a_counted_database_to_head_keeps_every_ballot(empty_app):
    """Earlier migrations rebuild round and organisation in batch mode; on SQLite with foreign
    keys on, that deleted every ballot (ON DELETE CASCADE) or failed. migrations/env.py turns
    the keys off while migrating and checks every reference after."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("a SQLite table rebuild")
    _migrate(empty_app, "0005_security")
    run = lambda sql, **params: db.session.execute(text(sql), params)  # noqa: E731
    now = datetime(2025, 6, 20, 8, 0)
    run("INSERT INTO organisation (id, name, created_at, level) VALUES (1, 'Đảng bộ xã Yên Lập', :t, 'grassroots')",
        t=now)
    run("INSERT INTO congress (id, organisation_id, kind, name, number, term, place, convened, created_at) "
        "VALUES (1, 1, 'delegates', 'Đại hội', '', '', '', 150, :t)", t=now)
    run("INSERT INTO election (id, congress_id, kind, title, seats, position, created_at) "
        "VALUES (1, 1, 'committee', 'Bầu Ban Chấp hành', 1, 0, :t)", t=now)
    run("INSERT INTO round (id, election_id, number, seats, status, entry_mode, version, created_at) "
        "VALUES (1, 1, 1, 1, 'entry', 'single', 0, :t)", t=now)
    for n in (1, 2):
        run("INSERT INTO ballot (id, round_id, entry_pass, sequence, marks, entered_at, idempotency_key, "
            "superseded, round_version) VALUES (:n, 1, 'A', :n, :m, :t, :k, false, 0)",
            n=n, m=json.dumps({"boxes": {}}), t=now, k=f"k{n}")
    db.session.commit()
    _migrate(empty_app, "head")
    assert db.session.execute(text("SELECT COUNT(*) FROM ballot")).scalar() == 2
    assert db.session.execute(text("SELECT COUNT(*) FROM round")).scalar() == 1
    assert db.session.execute(text("PRAGMA foreign_keys")).scalar() == 1  # back on afterwards
