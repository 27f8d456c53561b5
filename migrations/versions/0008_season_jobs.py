"""The job table: generated documents made by the worker (minutes, ballots, entry log,
summary, slides), claimed with FOR UPDATE SKIP LOCKED on PostgreSQL

A new table: SQLite adds it in place (no rebuild of any existing table).

Revision ID: 0008_season
Revises: 0007_bodies
Create Date: 2026-11-30 14:50:00

"""
from alembic import op
import sqlalchemy as sa


revision = "0008_season"
down_revision = "0007_bodies"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "job",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("inputs_digest", sa.String(length=64), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("congress_id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=True),
        sa.Column("required_role", sa.String(length=16), nullable=False),
        sa.Column("file_name", sa.String(length=120), nullable=False),
        sa.Column("requested_by_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("claimed_by", sa.String(length=120), nullable=True),
        sa.Column("claimed_at", sa.DateTime(), nullable=True),
        sa.Column("heartbeat_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("result_name", sa.String(length=80), nullable=True),
        sa.Column("result_sha256", sa.String(length=64), nullable=True),
        sa.Column("result_size", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.CheckConstraint("status IN ('queued','running','done','failed')", name=op.f("ck_job_status")),
        sa.ForeignKeyConstraint(["congress_id"], ["congress.id"], name=op.f("fk_job_congress_id_congress"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["round_id"], ["round.id"], name=op.f("fk_job_round_id_round"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["requested_by_id"], ["user.id"], name=op.f("fk_job_requested_by_id_user"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job")),
    )
    op.create_index(op.f("ix_job_congress_id"), "job", ["congress_id"])
    op.create_index("ix_job_status_congress_id", "job", ["status", "congress_id"])
    op.create_index("uq_job_live_key", "job", ["key"], unique=True,
                    sqlite_where=sa.text("status != 'failed'"), postgresql_where=sa.text("status != 'failed'"))


def downgrade():
    op.drop_index("uq_job_live_key", table_name="job")
    op.drop_index("ix_job_status_congress_id", table_name="job")
    op.drop_index(op.f("ix_job_congress_id"), table_name="job")
    op.drop_table("job")
