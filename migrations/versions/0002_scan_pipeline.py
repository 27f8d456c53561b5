"""scan pipeline: scanner profile, station reading, preview image, worker claim on scan_image

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 12:10:00

"""
from alembic import op
import sqlalchemy as sa


revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("scan_image", schema=None) as batch_op:
        batch_op.add_column(sa.Column("profile", sa.String(length=64), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("station_reading", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("preview_name", sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column("claimed_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("read_at", sa.DateTime(), nullable=True))
        batch_op.create_index(batch_op.f("ix_scan_image_status"), ["status"], unique=False)


def downgrade():
    with op.batch_alter_table("scan_image", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_scan_image_status"))
        batch_op.drop_column("read_at")
        batch_op.drop_column("claimed_at")
        batch_op.drop_column("preview_name")
        batch_op.drop_column("station_reading")
        batch_op.drop_column("profile")
