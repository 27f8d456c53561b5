"""scan_image.attempts: how often a worker claimed the image (an image crashing the worker stops)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 12:20:00

"""
from alembic import op
import sqlalchemy as sa


revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("scan_image", schema=None) as batch_op:
        batch_op.add_column(sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"))


def downgrade():
    with op.batch_alter_table("scan_image", schema=None) as batch_op:
        batch_op.drop_column("attempts")
