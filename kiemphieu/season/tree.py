"""The organisation tree read in one query: each organisation's parent and path from the top.

Shared by the dashboard (filters, subtrees), the exports, the import's path lookup and every
list of organisations to choose from (in tree order, natural numbers).
"""
from __future__ import annotations

import re
from functools import lru_cache

from sqlalchemy import select

from ..extensions import db
from ..models import Organisation
from ..tally.names import word_key

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


@lru_cache(maxsize=8192)  # names repeat across requests; a list of 600 sorts in milliseconds
def natural_key(text: str) -> tuple:
    """Vietnamese letter order, numbers by value: "xã số 2" before "xã số 10"."""
    key = []
    for chunk in re.findall(r"\d+|[^\W\d_]+", text):
        key.append((0, int(chunk)) if chunk.isdigit() else (1, word_key(chunk)))
    return tuple(key)


def path_key(names: tuple[str, ...]) -> tuple:
    """Sort key putting each organisation right after its parent, siblings in natural order."""
    return tuple(natural_key(name) for name in names)


def tree_options(allowed: set[int] | None = None, tree: dict | None = None) -> list[tuple[int, str]]:
    """(id, label) of the organisations ``allowed`` (None: all) in tree order, each label
    indented under its parent, so a province's few hundred organisations read as its tree.
    ``tree``: an ``organisation_tree()`` already read in this request."""
    tree = organisation_tree() if tree is None else tree
    shown = [(org_id, names) for org_id, (_, names) in tree.items() if allowed is None or org_id in allowed]
    top = min((len(names) for _, names in shown), default=1)
    shown.sort(key=lambda item: path_key(item[1]))
    return [(org_id, INDENT * (len(names) - top) + names[-1]) for org_id, names in shown]


INDENT = "\u00a0\u00a0\u00a0"  # no-break spaces: a <select> keeps them
