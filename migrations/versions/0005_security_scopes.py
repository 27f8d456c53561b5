"""organisation.level and organisation_grant: roles on an organisation hold for its subtree

Revision ID: 0005_security
Revises: 0004_security
Create Date: 2026-11-30 12:30:00

"""
from alembic import op
import sqlalchemy as sa


revision = "0005_security"
down_revision = "0004_security"
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name == "sqlite":
        # No table rebuild: with foreign keys on (a PRAGMA cannot turn them off inside the
        # migration's transaction) DROP TABLE organisation fails, or cascades, once congresses
        # exist. SQLite adds a column with its CHECK in place.
        op.execute("ALTER TABLE organisation ADD COLUMN level VARCHAR(16) DEFAULT 'grassroots' NOT NULL "
                   "CONSTRAINT ck_organisation_level CHECK (level IN ('province','district','grassroots','cell'))")
    else:
        with op.batch_alter_table("organisation", schema=None) as batch_op:
            batch_op.add_column(sa.Column("level", sa.String(length=16), nullable=False, server_default="grassroots"))
            batch_op.create_check_constraint("level", "level IN ('province','district','grassroots','cell')")
    op.create_table(
        "organisation_grant",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.CheckConstraint("role IN ('organiser','counter','viewer')", name=op.f("ck_organisation_grant_role")),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisation.id"],
                                name=op.f("fk_organisation_grant_organisation_id_organisation"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"], name=op.f("fk_organisation_grant_user_id_user"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organisation_grant")),
        sa.UniqueConstraint("user_id", "organisation_id", name=op.f("uq_organisation_grant_user_id_organisation_id")),
    )


def downgrade():
    op.drop_table("organisation_grant")
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint(op.f("ck_organisation_level"), "organisation", type_="check")
    with op.batch_alter_table("organisation", schema=None) as batch_op:
        batch_op.drop_column("level")
