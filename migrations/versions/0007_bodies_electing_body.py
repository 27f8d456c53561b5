"""The electing body (election.body, exclusion.body, congress.committee_convened) and the
documents' locality and presidium signer (congress.locality, congress.presidium_signer)

An election is held by the congress or by the new committee at its first meeting; the
committee's convened count (None: as many as the congress elected) and its own itemised
exclusions give that body's majority base.

Revision ID: 0007_bodies
Revises: 0006_audit
Create Date: 2026-11-30 12:10:00

"""
from alembic import op
import sqlalchemy as sa


revision = "0007_bodies"
down_revision = "0006_audit"
branch_labels = None
depends_on = None


BODY_CHECK = "body IN ('congress','committee')"


def _add_body(table: str) -> None:
    """A NOT NULL 'body' column with its check, without rebuilding the table: on SQLite a
    batch rebuild drops the old table, and with foreign keys on that deletes every row that
    references it through ON DELETE CASCADE (an election's rounds and ballots)."""
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f"ALTER TABLE {table} ADD COLUMN body VARCHAR(16) DEFAULT 'congress' NOT NULL "
                   f"CONSTRAINT ck_{table}_body CHECK ({BODY_CHECK})")
        return
    op.add_column(table, sa.Column("body", sa.String(length=16), nullable=False, server_default="congress"))
    op.create_check_constraint(op.f(f"ck_{table}_body"), table, BODY_CHECK)


def _drop_body(table: str) -> None:
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint(op.f(f"ck_{table}_body"), table, type_="check")
    op.drop_column(table, "body")


def upgrade():
    _add_body("election")
    _add_body("exclusion")
    # Plain ADD COLUMN (no rebuild) on every database.
    op.add_column("congress", sa.Column("committee_convened", sa.Integer(), nullable=True))
    op.add_column("congress", sa.Column("locality", sa.String(length=200), nullable=False, server_default=""))
    op.add_column("congress", sa.Column("presidium_signer", sa.String(length=200), nullable=False,
                                        server_default=""))


def downgrade():
    for column in ("presidium_signer", "locality", "committee_convened"):
        op.drop_column("congress", column)
    _drop_body("exclusion")
    _drop_body("election")
