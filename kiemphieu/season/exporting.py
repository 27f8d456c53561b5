"""Results and ballots out of the app (contract sections 3 and 4).

A finalised round is exported from its latest certified version (the record the digest
covers), any other round from the ballots that count now. Either way ``election_file`` and
the ballots are exactly what ``kiemphieu tally`` needs to print the exported ``result``.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from .. import labels, tally
from ..extensions import db
from ..models import Congress, Election, Round, RoundStatus, name_key
from .columns import path_text
from .tree import organisation_tree

STATE_LABELS = {
    RoundStatus.SETUP.value: "chuẩn bị",
    RoundStatus.ENTRY.value: "đang kiểm",
    RoundStatus.FINALISED.value: "đã chốt",
}
# As the results page and the minutes say them.
STATUS_LABELS = {
    tally.Status.ELECTED: "Trúng cử",
    tally.Status.TIE: "Bằng phiếu — chưa xác định",
    tally.Status.NOT_ELECTED: "Quá một nửa nhưng hết chỗ",
    tally.Status.BELOW_MAJORITY: "Không đủ quá một nửa",
}
CSV_HEADER = ["to_chuc", "dai_hoi", "cuoc_bau", "vong", "trang_thai", "ho_ten", "ngay_sinh", "so_phieu",
              "ty_le", "ket_qua"]


class ExportError(ValueError):
    """A refused export (unknown organisation or round); the message is Vietnamese."""


@dataclass(frozen=True)
class RoundExport:
    round: Round
    path: tuple[str, ...]
    election: tally.Election
    ballots: list[tally.Ballot]
    result: tally.Result | None  # None while nothing is counted
    digest: str | None

    @property
    def state(self) -> str:
        return STATE_LABELS[self.round.status]


def round_inputs(round_: Round) -> tuple[tally.Election, list[tally.Ballot]]:
    """The election and counted ballots of a round: the certified record once finalised."""
    version = round_.result_versions[-1] if round_.is_finalised and round_.result_versions else None
    if version is not None:
        record = version.record
        election = tally.parse_election(json.dumps(record["election"], ensure_ascii=False), f"round {round_.id}")
        return election, [tally.parse_ballot(b, election) for b in record["ballots"]]
    election = round_.to_election()
    return election, [b.to_engine(election) for b in round_.counted_ballots()]


def export_round(round_: Round, path: tuple[str, ...]) -> RoundExport:
    election, ballots = round_inputs(round_)
    result = tally.tally(election, ballots) if ballots else None
    return RoundExport(round_, path, election, ballots, result, round_.digest if round_.is_finalised else None)


# ------------------------------------------------------------------ scope


def organisation_paths() -> dict[int, tuple[str, ...]]:
    """Every organisation's path from the top (one query)."""
    return {org_id: names for org_id, (_, names) in organisation_tree().items()}


def find_organisation(path_text_value: str, paths: dict[int, tuple[str, ...]]) -> int:
    wanted = tuple(name_key(p) for p in path_text_value.split(" / "))
    for org_id, path in paths.items():
        if tuple(name_key(p) for p in path) == wanted:
            return org_id
    raise ExportError(f"không có tổ chức “{path_text_value}” (ghi đường dẫn từ cấp trên cùng, cách nhau bằng “ / ”)")


def rounds_in_scope(organisation: str | None = None) -> list[RoundExport]:
    """Every round of the season, or of one organisation's subtree, in a stable order."""
    paths = organisation_paths()
    org_ids = set(paths)
    if organisation:
        top = paths[find_organisation(organisation, paths)]
        org_ids = {i for i, p in paths.items() if p[: len(top)] == top}
    query = (
        select(Round)
        .join(Round.election)
        .join(Election.congress)
        .where(Congress.organisation_id.in_(org_ids))
        .options(selectinload(Round.result_versions),
                 selectinload(Round.election).selectinload(Election.congress).selectinload(Congress.committee),
                 selectinload(Round.round_candidates))
    )
    rounds = list(db.session.scalars(query))
    rounds.sort(key=lambda r: (paths[r.election.congress.organisation_id], r.election.congress.start_date or date.min,
                               r.election.congress.name, r.election.congress_id, r.election.position,
                               r.election_id, r.number))
    return [export_round(r, paths[r.election.congress.organisation_id]) for r in rounds]


# ------------------------------------------------------------------ formats


percent_vi = labels.percent_vi  # the one decimal comma (kiemphieu/labels.py)


def results_csv(exports: list[RoundExport]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    for item in exports:
        congress = item.round.election.congress
        years = {c.code: c.note.removeprefix("Năm sinh ").strip() for c in item.round.election.candidates
                 if c.note.startswith("Năm sinh ")}
        scored = {c.id: c for c in item.result.candidates} if item.result else {}
        for candidate in sorted(item.election.candidates, key=lambda c: (c.sort_key, c.id)):
            row = scored.get(candidate.id)
            born = f"{candidate.born:%d/%m/%Y}" if candidate.born else years.get(candidate.id, "")
            writer.writerow([
                path_text(item.path), congress.name, item.election.title, item.election.round, item.state,
                candidate.name, born,
                row.votes if row else "", percent_vi(row.percent) if row else "",
                STATUS_LABELS[row.status] if row else "",
            ])
    return out.getvalue()


def results_json(exports: list[RoundExport]) -> list[dict]:
    return [
        {
            "organisation": path_text(item.path),
            "congress": item.round.election.congress.name,
            "election": item.election.title,
            "round": item.election.round,
            "state": item.state,
            "digest": item.digest,
            "election_file": tally.election_to_json(item.election),
            "result": item.result.to_json() if item.result else None,
        }
        for item in exports
    ]


def ballots_jsonl(round_id: int) -> str:
    round_ = db.session.get(Round, round_id)
    if round_ is None:
        raise ExportError(f"không có vòng bầu số {round_id}")
    election, ballots = round_inputs(round_)
    return "".join(json.dumps(tally.ballot_to_json(b), ensure_ascii=False) + "\n" for b in ballots)
