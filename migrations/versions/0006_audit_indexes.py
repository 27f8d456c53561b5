"""indexes the ballot and scan queries use: ballot(round_id, entry_pass), ballot.scan_id,
scan_image.round_id, scan_image.stored_name, result_version.digest

Revision ID: 0006_audit
Revises: 0005_entry
Create Date: 2026-11-30 12:20:00

"""
from alembic import op


revision = "0006_audit"
down_revision = "0005_entry"
branch_labels = None
depends_on = None

INDEXES = [
    ("ballot", "ix_ballot_round_id_entry_pass", ["round_id", "entry_pass"]),
    ("ballot", "ix_ballot_scan_id", ["scan_id"]),
    ("scan_image", "ix_scan_image_round_id", ["round_id"]),
    ("scan_image", "ix_scan_image_stored_name", ["stored_name"]),
    ("result_version", "ix_result_version_digest", ["digest"]),
]


def upgrade():
    for table, name, columns in INDEXES:
        op.create_index(name, table, columns)


def downgrade():
    for table, name, _ in reversed(INDEXES):
        op.drop_index(name, table_name=table)
