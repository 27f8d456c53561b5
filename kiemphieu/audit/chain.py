"""The hash chains: one per congress plus a "system" chain, each with a locked head row.

An entry's hash covers its chain, its number in the chain, the previous entry's hash and its
own content, so removing, reordering or editing any entry breaks every hash after it. The
head row (``AuditHead``) holds the last number and hash: appending locks it (PostgreSQL
``SELECT ... FOR UPDATE``; on SQLite the write transaction already holds the database's one
write lock), and the checker compares it with the last entry, so cutting off the newest
entries shows too.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from sqlalchemy import bindparam, select

from ..extensions import db
from ..models import AuditEntry, AuditHead

GENESIS = "0" * 64
SYSTEM_CHAIN = "system"
HASH_FORMAT = 2  # migrations/versions/0004_audit_chains.py writes this format too


def chain_key(congress_id: int | None) -> str:
    return SYSTEM_CHAIN if congress_id is None else f"congress-{congress_id}"


def entry_hash(entry: AuditEntry) -> str:
    payload = {
        "v": HASH_FORMAT,
        "chain": entry.chain,
        "seq": entry.seq,
        "prev": entry.prev_hash,
        "at": entry.at.isoformat(timespec="microseconds"),
        "user_id": entry.user_id,
        "username": entry.username,
        "congress_id": entry.congress_id,
        "action": entry.action,
        "detail": entry.detail,
    }
    canonical = json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _insert_ignoring_duplicate(values: dict):
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(AuditHead).values(**values).on_conflict_do_nothing(index_elements=["chain"])


@dataclass(frozen=True)
class LockedHead:
    """A chain's head as read under its row lock: the next entry's number and previous hash."""

    chain: str
    seq: int
    hash: str


_LOCK_HEAD = select(AuditHead.seq, AuditHead.hash).where(AuditHead.chain == bindparam("chain")).with_for_update()


def locked_head(congress_id: int | None) -> LockedHead:
    """The chain's head row, locked until the transaction ends (created on first use)."""
    key = chain_key(congress_id)
    connection = db.session.connection()  # Core statements: no ORM execute layer
    row = connection.execute(_LOCK_HEAD, {"chain": key}).one_or_none()
    if row is None:
        connection.execute(_insert_ignoring_duplicate(
            {"chain": key, "congress_id": congress_id, "seq": 0, "hash": GENESIS}))
        row = connection.execute(_LOCK_HEAD, {"chain": key}).one()
    return LockedHead(key, row.seq, row.hash)


def head_of(congress_id: int | None) -> AuditHead | None:
    """The head record as stored (not locked): what the minutes print as the anchor."""
    return db.session.get(AuditHead, chain_key(congress_id), populate_existing=True)


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    entries: int
    first_bad_id: int | None = None
    problem: str = ""
    chain: str = ""
    head_seq: int = 0
    head_hash: str = GENESIS


def _chain_entries(key: str):
    return db.session.scalars(
        select(AuditEntry).where(AuditEntry.chain == key).order_by(AuditEntry.seq)
    ).yield_per(1000)


def verify_one_chain(key: str) -> ChainReport:
    """Recompute every hash of one chain in order; then compare the head record."""
    expected_prev, count, last_hash = GENESIS, 0, GENESIS
    congress_id = None if key == SYSTEM_CHAIN else int(key.split("-", 1)[1])
    for entry in _chain_entries(key):
        count += 1
        if entry.seq != count:
            return ChainReport(False, count, entry.id, f"thiếu mục số {count} của chuỗi (entry removed)", key)
        if entry.prev_hash != expected_prev:
            return ChainReport(False, count, entry.id, "liên kết với mục trước bị đứt (entry removed or reordered)",
                               key)
        if entry.congress_id != congress_id or entry_hash(entry) != entry.hash:
            return ChainReport(False, count, entry.id, "nội dung đã bị sửa (content altered)", key)
        expected_prev = last_hash = entry.hash
    head = db.session.get(AuditHead, key, populate_existing=True)
    if head is None:
        if count:
            return ChainReport(False, count, None, "mất bản ghi đầu chuỗi (head record missing)", key, count,
                               last_hash)
        return ChainReport(True, 0, chain=key)
    if head.seq > count:
        return ChainReport(False, count, None, f"mất {head.seq - count} mục cuối của chuỗi (entries truncated: head "
                                               f"record says {head.seq})", key, head.seq, head.hash)
    if head.seq != count or head.hash != last_hash:
        return ChainReport(False, count, None, "bản ghi đầu chuỗi không khớp mục cuối (head record differs)", key,
                           head.seq, head.hash)
    return ChainReport(True, count, chain=key, head_seq=head.seq, head_hash=head.hash)


def all_chain_keys() -> list[str]:
    keys = set(db.session.scalars(select(AuditHead.chain)))
    keys |= set(db.session.scalars(select(AuditEntry.chain).distinct()))
    return sorted(keys, key=lambda k: (k != SYSTEM_CHAIN, len(k), k))
