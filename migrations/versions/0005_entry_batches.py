"""Batches (tệp phiếu) and triple entry: round.batches, ballot.batch, pass C, mode triple

Revision ID: 0005_entry
Revises: 0004_audit
Create Date: 2026-11-30 12:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = "0005_entry"
down_revision = "0005_security"
branch_labels = None
depends_on = None

LIVE = dict(sqlite_where=sa.text("superseded = 0"), postgresql_where=sa.text("superseded = false"))


def upgrade():
    with op.batch_alter_table("round", schema=None) as batch_op:
        batch_op.add_column(sa.Column("batches", sa.Integer(), nullable=False, server_default="1"))
        batch_op.drop_constraint(op.f("ck_round_entry_mode"), type_="check")
        batch_op.create_check_constraint(op.f("ck_round_entry_mode"), "entry_mode IN ('single','double','triple')")
        batch_op.create_check_constraint(op.f("ck_round_batches_positive"), "batches >= 1")
    with op.batch_alter_table("ballot", schema=None) as batch_op:
        batch_op.add_column(sa.Column("batch", sa.Integer(), nullable=False, server_default="1"))
        batch_op.drop_index("uq_ballot_live_sequence", **LIVE)
        batch_op.create_index("uq_ballot_live_sequence", ["round_id", "entry_pass", "batch", "sequence"],
                              unique=True, **LIVE)
        batch_op.drop_constraint(op.f("ck_ballot_entry_pass"), type_="check")
        batch_op.create_check_constraint(op.f("ck_ballot_entry_pass"), "entry_pass IN ('A','B','C','scan','settled')")
        batch_op.create_check_constraint(op.f("ck_ballot_batch_positive"), "batch >= 1")


def downgrade():
    with op.batch_alter_table("ballot", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_ballot_batch_positive"), type_="check")
        batch_op.drop_constraint(op.f("ck_ballot_entry_pass"), type_="check")
        batch_op.create_check_constraint(op.f("ck_ballot_entry_pass"), "entry_pass IN ('A','B','scan','settled')")
        batch_op.drop_index("uq_ballot_live_sequence", **LIVE)
        batch_op.create_index("uq_ballot_live_sequence", ["round_id", "entry_pass", "sequence"], unique=True, **LIVE)
        batch_op.drop_column("batch")
    with op.batch_alter_table("round", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_round_batches_positive"), type_="check")
        batch_op.drop_constraint(op.f("ck_round_entry_mode"), type_="check")
        batch_op.create_check_constraint(op.f("ck_round_entry_mode"), "entry_mode IN ('single','double')")
        batch_op.drop_column("batches")
