"""audit log: one chain per congress plus a system chain, a head record per chain

The single global chain is re-chained into per-congress chains. The old chain is checked
first (format 1 hashes); each new chain starts with an ``audit.rechain`` entry recording the
old chain's head hash, its length and whether it verified, plus the digest of every ballot
row of that congress as it stands now (so rows entered before ballot digests existed are
covered from here on). Every old entry keeps its content, time and id; its chain, number
and hashes are new (format 2, the format of kiemphieu.audit.chain.entry_hash).

Revision ID: 0004_audit
Revises: 0003
Create Date: 2026-11-30 12:00:00

"""
import hashlib
import json
from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa


revision = "0004_audit"
down_revision = "0003"
branch_labels = None
depends_on = None

GENESIS = "0" * 64

entry_table = sa.table(
    "audit_entry",
    sa.column("id", sa.Integer), sa.column("chain", sa.String), sa.column("seq", sa.Integer),
    sa.column("at", sa.DateTime), sa.column("user_id", sa.Integer), sa.column("username", sa.String),
    sa.column("congress_id", sa.Integer), sa.column("action", sa.String), sa.column("detail", sa.JSON),
    sa.column("prev_hash", sa.String), sa.column("hash", sa.String),
)
head_table = sa.table(
    "audit_head",
    sa.column("chain", sa.String), sa.column("congress_id", sa.Integer), sa.column("seq", sa.Integer),
    sa.column("hash", sa.String), sa.column("updated_at", sa.DateTime),
)


def _sha(payload) -> str:
    text = json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _hash_v1(row) -> str:
    return _sha({"prev": row.prev_hash, "at": row.at.isoformat(timespec="microseconds"), "user_id": row.user_id,
                 "username": row.username, "congress_id": row.congress_id, "action": row.action,
                 "detail": row.detail})


def _hash_v2(chain, seq, prev, at, user_id, username, congress_id, action, detail) -> str:
    return _sha({"v": 2, "chain": chain, "seq": seq, "prev": prev, "at": at.isoformat(timespec="microseconds"),
                 "user_id": user_id, "username": username, "congress_id": congress_id, "action": action,
                 "detail": detail})


def _ballot_digest(row) -> str:
    marks = json.loads(row.marks) if isinstance(row.marks, str) else row.marks
    return _sha({"round_id": row.round_id, "entry_pass": row.entry_pass, "sequence": row.sequence,
                 "marks": marks, "scan_id": row.scan_id})


def _chain_key(congress_id):
    return "system" if congress_id is None else f"congress-{congress_id}"


def _append_only(on: bool) -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for verb in ("update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS audit_entry_no_{verb}")
            if on:
                op.execute(f"CREATE TRIGGER audit_entry_no_{verb} BEFORE {verb.upper()} ON audit_entry "
                           "BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END")
    elif dialect == "postgresql":
        op.execute(f"ALTER TABLE audit_entry {'ENABLE' if on else 'DISABLE'} TRIGGER audit_entry_no_change")


def _ballots_by_congress(bind) -> dict:
    rows = bind.execute(sa.text(
        "SELECT b.id, b.round_id, b.entry_pass, b.sequence, b.marks, b.scan_id, b.superseded, e.congress_id "
        "FROM ballot b JOIN round r ON r.id = b.round_id JOIN election e ON e.id = r.election_id ORDER BY b.id"
    )).all()
    by_congress = {}
    for row in rows:
        item = by_congress.setdefault(row.congress_id, {"ballot_digests": [], "supersedes": []})
        item["ballot_digests"].append([row.id, row.round_id, _ballot_digest(row)])
        if row.superseded:
            item["supersedes"].append(row.id)
    return by_congress


def _rechain() -> None:
    bind = op.get_bind()
    old = bind.execute(sa.select(entry_table).order_by(entry_table.c.id)).all()
    ballots = _ballots_by_congress(bind)
    if not old and not ballots:
        return
    legacy_ok, prev = True, GENESIS
    for row in old:
        legacy_ok = legacy_ok and row.prev_hash == prev and _hash_v1(row) == row.hash
        prev = row.hash
    legacy = {"legacy_head": prev, "legacy_entries": len(old), "legacy_chain_ok": legacy_ok}
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    chains = {}
    for row in old:
        chains.setdefault(row.congress_id, []).append(row)
    for congress_id in ballots:
        chains.setdefault(congress_id, [])
    for congress_id, rows in chains.items():
        chain = _chain_key(congress_id)
        detail = {**legacy, **ballots.get(congress_id, {"ballot_digests": [], "supersedes": []})}
        prev = _hash_v2(chain, 1, GENESIS, now, None, "", congress_id, "audit.rechain", detail)
        bind.execute(sa.insert(entry_table).values(
            chain=chain, seq=1, at=now, user_id=None, username="", congress_id=congress_id, action="audit.rechain",
            detail=detail, prev_hash=GENESIS, hash=prev))
        seq = 1
        for row in rows:
            seq += 1
            new_hash = _hash_v2(chain, seq, prev, row.at, row.user_id, row.username, congress_id, row.action,
                                row.detail)
            bind.execute(sa.update(entry_table).where(entry_table.c.id == row.id).values(
                chain=chain, seq=seq, prev_hash=prev, hash=new_hash))
            prev = new_hash
        bind.execute(sa.insert(head_table).values(chain=chain, congress_id=congress_id, seq=seq, hash=prev,
                                                  updated_at=now))


def upgrade():
    op.create_table(
        "audit_head",
        sa.Column("chain", sa.String(length=32), nullable=False),
        sa.Column("congress_id", sa.Integer(), nullable=True),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("chain", name=op.f("pk_audit_head")),
    )
    _append_only(False)
    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.add_column(sa.Column("chain", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("seq", sa.Integer(), nullable=True))
        batch_op.drop_constraint("uq_audit_entry_prev_hash", type_="unique")
    _rechain()
    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.alter_column("chain", existing_type=sa.String(length=32), nullable=False)
        batch_op.alter_column("seq", existing_type=sa.Integer(), nullable=False)
        batch_op.create_unique_constraint(batch_op.f("uq_audit_entry_chain_seq"), ["chain", "seq"])
    _append_only(True)


def downgrade():
    # The per-congress chains cannot become one format-1 chain again without re-hashing
    # everything; a downgrade keeps the entries and drops only the new columns and table.
    _append_only(False)
    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.drop_constraint("uq_audit_entry_chain_seq", type_="unique")
        batch_op.drop_column("seq")
        batch_op.drop_column("chain")
    op.drop_table("audit_head")
    _append_only(True)
