"""The append-only audit log: every write operation records who did what, chained by SHA-256.

One chain per congress and one "system" chain (``chain.py``): an entry's hash covers its
content, its number and the previous entry's hash; a head record per chain holds the last
number and hash. Entries that name a ballot carry the ballot's digest (``ballots.py``), and
``round.finalise`` carries the result digest, so ``check.py`` compares every counted ballot
and every stored digest with the chain. Services call ``record`` inside their own
transaction, so the entry commits (or rolls back) together with the change it describes.
"""

from __future__ import annotations

import json
from typing import Any

from flask import has_request_context
from flask_login import current_user
from sqlalchemy import bindparam, insert, update
from sqlalchemy.orm.attributes import set_committed_value

from ..extensions import db
from ..models import AuditEntry, AuditHead, Congress, User, utcnow
from .ballots import attach_ballot_digest, ballot_digest
from .chain import GENESIS, SYSTEM_CHAIN, ChainReport, LockedHead, all_chain_keys, chain_key, entry_hash, head_of, \
    locked_head, verify_one_chain

__all__ = ["GENESIS", "SYSTEM_CHAIN", "ChainReport", "LockedHead", "ballot_digest", "chain_key", "entry_hash", "head_of",
           "record", "record_many", "verify_chain"]

ALL = object()
_ENTRIES, _HEADS = AuditEntry.__table__, AuditHead.__table__
_INSERT_ENTRY = insert(_ENTRIES).returning(_ENTRIES.c.id)
_MOVE_HEAD = update(_HEADS).where(_HEADS.c.chain == bindparam("head_chain"))


def _plain(detail: dict[str, Any]) -> dict[str, Any]:
    """JSON-safe copy (dates, enums and Decimals become strings), as stored and hashed."""
    return json.loads(json.dumps(detail, ensure_ascii=False, default=str))


def _acting_user() -> User | None:
    if has_request_context() and current_user.is_authenticated:
        return current_user._get_current_object()
    return None


def record(
    action: str,
    *,
    congress: Congress | int | None = None,
    user: User | None = None,
    locked: LockedHead | None = None,
    **detail: Any,
) -> AuditEntry:
    """Append one entry to its congress's chain (not committed: the caller's transaction commits it).

    ``user`` defaults to the logged-in user; command-line actions pass None ("system"). An
    entry with ``ballot_id`` gets that ballot's digest (``ballot_digest``). ``locked``: the
    chain's head as the caller already read it under its row lock in this transaction (the
    ballot save reads it with its other facts), else it is read and locked here.
    """
    user = user or _acting_user()
    congress_id = congress.id if isinstance(congress, Congress) else congress
    attach_ballot_digest(detail)
    head = locked if locked is not None and locked.chain == chain_key(congress_id) else locked_head(congress_id)
    entry = AuditEntry(
        chain=head.chain,
        seq=head.seq + 1,
        at=utcnow(),
        user_id=user.id if user else None,
        username=user.username if user else "",
        congress_id=congress_id,
        action=action,
        detail=_plain(detail),
        prev_hash=head.hash,
    )
    entry.hash = entry_hash(entry)
    append_entry(entry, head)
    return entry


def record_many(entries: list[tuple[str, int | None, dict[str, Any]]], user: User | None = None) -> None:
    """Append several entries (action, congress id, detail) as ``record`` would one after the
    other, with one head lock per chain, one insert of them all and one head move per chain
    (the scan worker stores a batch of readings with an entry each)."""
    if not entries:
        return
    user = user or _acting_user()
    db.session.flush()  # the rows they name come first (and their ballots' digests are readable)
    heads: dict[int | None, LockedHead] = {}
    last_at: dict[int | None, Any] = {}
    rows = []
    for action, congress_id, detail in entries:
        attach_ballot_digest(detail)
        head = heads.get(congress_id) or locked_head(congress_id)
        entry = AuditEntry(chain=head.chain, seq=head.seq + 1, at=utcnow(), user_id=user.id if user else None,
                           username=user.username if user else "", congress_id=congress_id, action=action,
                           detail=_plain(detail), prev_hash=head.hash)
        entry.hash = entry_hash(entry)
        heads[congress_id], last_at[congress_id] = LockedHead(head.chain, entry.seq, entry.hash), entry.at
        rows.append({column.key: getattr(entry, column.key) for column in _ENTRIES.columns if column.key != "id"})
    connection = db.session.connection()
    connection.execute(insert(_ENTRIES), rows)
    for congress_id, head in heads.items():
        at = last_at[congress_id]
        connection.execute(_MOVE_HEAD, {"head_chain": head.chain, "seq": head.seq, "hash": head.hash, "updated_at": at})
        _refresh_loaded_head(head.chain, head.seq, head.hash, at)


def _refresh_loaded_head(chain: str, seq: int, hash_: str, at) -> None:
    """An AuditHead object loaded in this session (a page's check) would still say the old head."""
    loaded = db.session.identity_map.get(db.session.identity_key(AuditHead, (chain,)))
    if loaded is not None:
        for name, value in (("seq", seq), ("hash", hash_), ("updated_at", at)):
            set_committed_value(loaded, name, value)


def append_entry(entry: AuditEntry, head: LockedHead) -> None:
    """Insert the entry and move the head, as two plain statements (no unit-of-work flush per
    entry: the ballot save, the hot path, writes one per ballot). What the caller added to the
    session is flushed first, so the entry never precedes the rows it names."""
    db.session.flush()
    values = {column.key: getattr(entry, column.key) for column in _ENTRIES.columns if column.key != "id"}
    connection = db.session.connection()  # Core statements: no ORM execute layer
    entry.id = connection.execute(_INSERT_ENTRY, values).scalar_one()
    connection.execute(_MOVE_HEAD, {"head_chain": head.chain, "seq": entry.seq, "hash": entry.hash,
                                    "updated_at": entry.at})
    _refresh_loaded_head(head.chain, entry.seq, entry.hash, entry.at)


def verify_chain(congress: Congress | int | None | object = ALL) -> ChainReport:
    """Verify one congress's chain (None: the system chain), or every chain (the default).

    Every chain: the first broken one is reported; ``entries`` counts all entries checked.
    """
    if congress is not ALL:
        congress_id = congress.id if isinstance(congress, Congress) else congress
        return verify_one_chain(chain_key(congress_id))
    total = 0
    for key in all_chain_keys():
        report = verify_one_chain(key)
        total += report.entries
        if not report.ok:
            return report
    return ChainReport(True, total)
