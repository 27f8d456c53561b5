"""Batches (tệp phiếu) and triple entry: round.batches, ballot.batch, pass C, mode triple

Revision ID: 0005_entry
Revises: 0005_security
Create Date: 2026-11-30 12:00:00

No table is rebuilt: on SQLite, rebuilding ``round`` drops the old table, and with foreign keys on
(they are, and a PRAGMA cannot turn them off inside the migration's transaction) that deletes
every ballot by cascade. The two CHECK constraints are widened in place instead, by SQLite's own
documented procedure for changing a CHECK constraint (writable_schema, schema_version + 1); the
new values only widen what was allowed, so every stored row still satisfies them.
"""
from alembic import op
import sqlalchemy as sa


revision = "0005_entry"
down_revision = "0005_security"
branch_labels = None
depends_on = None

LIVE = dict(sqlite_where=sa.text("superseded = 0"), postgresql_where=sa.text("superseded = false"))
CHECKS = [  # table, constraint, before, after
    ("round", "ck_round_entry_mode", "entry_mode IN ('single','double')", "entry_mode IN ('single','double','triple')"),
    ("ballot", "ck_ballot_entry_pass", "entry_pass IN ('A','B','scan','settled')",
     "entry_pass IN ('A','B','C','scan','settled')"),
]


def _replace_check(table: str, name: str, old: str, new: str) -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        # op.f: the name is final; without it the naming convention prefixes it again
        # ("ck_round_ck_round_entry_mode") and PostgreSQL finds no such constraint.
        op.drop_constraint(op.f(name), table, type_="check")
        op.create_check_constraint(op.f(name), table, new)
        return
    sql = bind.execute(sa.text("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = :t"),
                       {"t": table}).scalar()
    if old not in sql:
        raise RuntimeError(f"{table}: CHECK ({old}) not found in its schema")
    version = bind.execute(sa.text("PRAGMA schema_version")).scalar()
    bind.execute(sa.text("PRAGMA writable_schema = ON"))
    bind.execute(sa.text("UPDATE sqlite_master SET sql = :s WHERE type = 'table' AND name = :t"),
                 {"s": sql.replace(old, new), "t": table})
    bind.execute(sa.text(f"PRAGMA schema_version = {int(version) + 1}"))
    bind.execute(sa.text("PRAGMA writable_schema = OFF"))


def upgrade():
    op.add_column("round", sa.Column("batches", sa.Integer(), nullable=False, server_default="1"))
    op.add_column("ballot", sa.Column("batch", sa.Integer(), nullable=False, server_default="1"))
    op.drop_index("uq_ballot_live_sequence", table_name="ballot", **LIVE)
    op.create_index("uq_ballot_live_sequence", "ballot", ["round_id", "entry_pass", "batch", "sequence"],
                    unique=True, **LIVE)
    for table, name, old, new in CHECKS:
        _replace_check(table, name, old, new)


def downgrade():
    for table, name, old, new in CHECKS:
        _replace_check(table, name, new, old)
    op.drop_index("uq_ballot_live_sequence", table_name="ballot", **LIVE)
    op.create_index("uq_ballot_live_sequence", "ballot", ["round_id", "entry_pass", "sequence"], unique=True, **LIVE)
    op.drop_column("ballot", "batch")  # ALTER TABLE DROP COLUMN (SQLite >= 3.35): no rebuild, no cascade
    op.drop_column("round", "batches")
