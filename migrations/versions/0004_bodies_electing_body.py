"""The electing body (election.body, exclusion.body, congress.committee_convened) and the
documents' locality and presidium signer (congress.locality, congress.presidium_signer)

An election is held by the congress or by the new committee at its first meeting; the
committee's convened count (None: as many as the congress elected) and its own itemised
exclusions give that body's majority base.

Revision ID: 0004_bodies
Revises: 0004_audit
Create Date: 2026-11-30 12:10:00

"""
from alembic import op
import sqlalchemy as sa


revision = "0004_bodies"
down_revision = "0004_audit"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("election", schema=None) as batch_op:
        batch_op.add_column(sa.Column("body", sa.String(length=16), nullable=False, server_default="congress"))
        batch_op.create_check_constraint(op.f("ck_election_body"), "body IN ('congress','committee')")
    with op.batch_alter_table("exclusion", schema=None) as batch_op:
        batch_op.add_column(sa.Column("body", sa.String(length=16), nullable=False, server_default="congress"))
        batch_op.create_check_constraint(op.f("ck_exclusion_body"), "body IN ('congress','committee')")
    with op.batch_alter_table("congress", schema=None) as batch_op:
        batch_op.add_column(sa.Column("committee_convened", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("locality", sa.String(length=200), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("presidium_signer", sa.String(length=200), nullable=False, server_default=""))


def downgrade():
    with op.batch_alter_table("congress", schema=None) as batch_op:
        batch_op.drop_column("presidium_signer")
        batch_op.drop_column("locality")
        batch_op.drop_column("committee_convened")
    with op.batch_alter_table("exclusion", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_exclusion_body"), type_="check")
        batch_op.drop_column("body")
    with op.batch_alter_table("election", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_election_body"), type_="check")
        batch_op.drop_column("body")
