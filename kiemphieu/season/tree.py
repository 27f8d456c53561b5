"""The organisation tree read in one query: each organisation's parent and path from the top.

Shared by the dashboard (filters, subtrees), the exports and the import's path lookup.
"""
from __future__ import annotations

from sqlalchemy import select

from ..extensions import db
from ..models import Organisation

# A parent chain longer than this is a cycle left by a bad edit; it is cut there.
MAX_DEPTH = 50


def organisation_tree() -> dict[int, tuple[int | None, tuple[str, ...]]]:
    """Every organisation's (parent id, names from the top down to itself)."""
    rows = db.session.execute(select(Organisation.id, Organisation.parent_id, Organisation.name)).all()
    by_id = {r.id: r for r in rows}
    paths: dict[int, tuple[str, ...]] = {}

    def path(org_id: int, seen: frozenset[int]) -> tuple[str, ...]:
        if org_id not in paths:
            row = by_id[org_id]
            parent = row.parent_id
            if parent not in by_id or parent in seen or len(seen) >= MAX_DEPTH:
                parent = None
            paths[org_id] = (path(parent, seen | {org_id}) if parent else ()) + (row.name,)
        return paths[org_id]

    return {r.id: (r.parent_id, path(r.id, frozenset())) for r in rows}
