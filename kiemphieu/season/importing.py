"""Importing a season file: the whole file checked (``checking``), then all of it written or
nothing, in one write transaction. Importing the same file twice creates nothing."""

from __future__ import annotations

from collections import defaultdict

from .. import audit
from ..extensions import begin_write, db
from ..models import (
    Candidate,
    Congress,
    Election,
    EntryMode,
    Organisation,
    OrganisationLevel,
    Round,
    RoundCandidate,
    RoundStatus,
    User,
    name_key,
)
from ..tally import default_body
from .checking import ElectionPlan, SeasonCheck, StoredTree, check_season
from .columns import COLUMNS


def import_season(data: bytes, *, dry_run: bool = False, file_name: str = "", user: User | None = None) -> SeasonCheck:
    """Check the file and, unless it has issues or ``dry_run``, create what is missing.

    The check runs inside the write transaction, so nothing can change between what was
    checked and what is written.
    """
    if dry_run:
        return check_season(data, user)
    begin_write()
    try:
        result = check_season(data, user)
        if result.ok:
            _write(result, file_name, user)
            db.session.commit()
        else:
            db.session.rollback()
        return result
    except BaseException:
        db.session.rollback()
        raise


def _write(result: SeasonCheck, file_name: str, user: User | None) -> None:
    """Create what the check planned: all rows in one flush (batched inserts), then the audit
    entries (which chain one after another)."""
    existing = StoredTree()
    created: dict[tuple, Organisation] = {}
    logged: list[tuple] = []  # (action, congress, object) once ids exist
    # How many levels each new organisation has below it in the file's deepest path through it.
    plan_depth: dict[tuple, int] = defaultdict(int)
    for plan in result.congresses:
        for depth in range(1, len(plan.path) + 1):
            key = tuple(name_key(p) for p in plan.path[:depth])
            plan_depth[key] = max(plan_depth[key], len(plan.path) - depth)

    def organisation_at(path: tuple[str, ...]) -> Organisation:
        key = tuple(name_key(p) for p in path)
        found = created.get(key) or existing.organisation(path)
        if found is not None:
            return found
        parent = organisation_at(path[:-1]) if len(path) > 1 else None
        organisation = created[key] = Organisation(name=path[-1], parent=parent,
                                                   level=_new_level(path, plan_depth[key], parent))
        db.session.add(organisation)
        logged.append(("organisation.create", None, organisation))
        return organisation

    for plan in result.congresses:
        congress = plan.existing
        if congress is None:
            congress = Congress(organisation=organisation_at(plan.path), kind=plan.kind, name=plan.name,
                                place=plan.place, start_date=plan.start_date, convened=plan.convened)
            db.session.add(congress)
            logged.append(("congress.create", congress, congress))
            position = 0
        else:
            position = max((e.position for e in congress.elections), default=0)
        for election_plan in plan.elections.values():
            if election_plan.existing is None:
                position += 1
                election = _new_election(congress, election_plan, position)
                logged.append(("election.create", congress, election))
            elif election_plan.new_candidates:
                for candidate in _new_candidates(election_plan):
                    logged.append(("candidate.add", congress, candidate))
    db.session.flush()
    for action, congress, obj in logged:
        audit.record(action, congress=congress, user=user, source="import", **_audit_detail(obj))
    audit.record("season.import", user=user, file=file_name, **result.counts)


_LEVELS = list(OrganisationLevel)


def _new_level(path: tuple[str, ...], below: int, parent: Organisation | None) -> str:
    """The level of a created organisation: a 'Chi bộ' is a cell; below a parent, the next level
    down (as the set-up page does); a new top level, by how many levels the file puts below it
    (province / district / grassroots)."""
    if name_key(path[-1]).startswith("chi bộ"):
        return OrganisationLevel.CELL.value
    if parent is not None:
        parent_level = _LEVELS.index(OrganisationLevel(parent.level or OrganisationLevel.GRASSROOTS.value))
        return _LEVELS[min(parent_level + 1, len(_LEVELS) - 1)].value
    return _LEVELS[max(0, 2 - below)].value


def _new_election(congress: Congress, plan: ElectionPlan, position: int) -> Election:
    # Who votes follows the kind, as in the set-up form (the secretary: the new committee).
    body = default_body(plan.kind, congress.organisation.name)
    election = Election(congress=congress, kind=plan.kind, title=plan.title, seats=plan.seats, position=position,
                        body=body.value)
    first = Round(election=election, number=1, seats=plan.seats, entry_mode=EntryMode.DOUBLE.value,
                  status=RoundStatus.SETUP.value)
    candidates = [Candidate(election=election, code=f"c{n:02d}", name=c.name, born=c.born, note=c.note)
                  for n, c in enumerate(plan.new_candidates, start=1)]
    first.round_candidates = [RoundCandidate(candidate=c) for c in candidates]
    db.session.add_all([election, first, *candidates])
    return election


def _new_candidates(plan: ElectionPlan) -> list[Candidate]:
    election = plan.existing
    first = election.rounds[0]
    added = []
    for person in plan.new_candidates:
        candidate = Candidate(code=election.next_candidate_code(), name=person.name, born=person.born,
                              note=person.note)
        db.session.add(candidate)
        election.candidates.append(candidate)
        first.round_candidates.append(RoundCandidate(candidate=candidate))
        added.append(candidate)
    return added


def _audit_detail(obj) -> dict:
    if isinstance(obj, Organisation):
        return {"organisation_id": obj.id, "name": obj.name, "level": obj.level, "parent_id": obj.parent_id}
    if isinstance(obj, Congress):
        return {"kind": obj.kind, "name": obj.name, "place": obj.place, "start_date": obj.start_date,
                "convened": obj.convened, "organisation_id": obj.organisation_id}
    if isinstance(obj, Election):
        return {"election_id": obj.id, "kind": obj.kind, "title": obj.title, "seats": obj.seats, "body": obj.body,
                "candidates": [{"code": c.code, "name": c.name, "born": c.born, "note": c.note}
                               for c in obj.candidates]}
    return {"election_id": obj.election_id, "candidate_id": obj.id, "code": obj.code, "name": obj.name,
            "born": obj.born}


def template_rows() -> list[list[str]]:
    """The template's header and example rows: one election of three, importable as is."""
    heading = [c.heading for c in COLUMNS]
    example = {c.key: c.example for c in COLUMNS} | {"so_luong": "2"}
    people = [("Nguyễn Văn An", "02/04/1975"), ("Trần Thị Bình", "1980"), ("Lê Văn Cường", "")]
    rows = [[{**example, "ho_ten": name, "ngay_sinh": born}[c.key] for c in COLUMNS] for name, born in people]
    return [heading, *rows]


__all__ = ["SeasonCheck", "check_season", "import_season", "template_rows"]
