"""The ballot queries can use their indexes (issue 12: ``IS false`` missed the partial index)."""

from __future__ import annotations

import pytest
from sqlalchemy import event, inspect

from kiemphieu.extensions import db
from kiemphieu.models import Ballot


def _statements(run) -> list[tuple[str, tuple]]:
    seen = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        seen.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", capture)
    try:
        run()
    finally:
        event.remove(db.engine, "before_cursor_execute", capture)
    return [(s, p) for s, p in seen if "FROM ballot" in s]


def test_live_ballot_filter_is_an_equality():
    assert "superseded = 0" in str(db.select(Ballot.id).where(Ballot.is_live).compile(
        dialect=__import__("sqlalchemy.dialects.sqlite", fromlist=["dialect"]).dialect()))


def test_active_ballots_query_can_use_the_partial_index(make_election):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("INDEXED BY is SQLite's; PostgreSQL compiles the same '= false' predicate")
    round_ = make_election().rounds[0]
    [(statement, parameters)] = _statements(lambda: round_.active_ballots("A"))
    forced = statement.replace("FROM ballot", "FROM ballot INDEXED BY uq_ballot_live_sequence", 1)
    # SQLite refuses ("no query solution") when the WHERE clause does not imply the index's.
    plan = db.session.connection().exec_driver_sql(f"EXPLAIN QUERY PLAN {forced}", parameters).all()
    assert any("uq_ballot_live_sequence" in row[-1] for row in plan)


def test_the_queried_columns_are_indexed(app):
    inspector = inspect(db.engine)

    def indexed(table):
        return {tuple(ix["column_names"]) for ix in inspector.get_indexes(table)}

    assert {("round_id", "entry_pass"), ("scan_id",)} <= indexed("ballot")
    assert {("round_id",), ("stored_name",)} <= indexed("scan_image")
    assert ("digest",) in indexed("result_version")
