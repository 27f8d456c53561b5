"""Write operations on elections and their rounds (set-up, numbers, batches, entry), and the
warnings an organiser may accept. Each validates, writes an audit entry, commits."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from sqlalchemy import func, select

from .. import audit
from ..extensions import db, write_operation
from ..models import (
    KINDS_NEEDING_SURPLUS,
    Ballot,
    Candidate,
    Congress,
    Election,
    EntryMode,
    Round,
    RoundCandidate,
    RoundStatus,
)
from ..tally import Body, Kind, default_body
from .common import SetupError
from .common import required_name as _required_name
from .guards import FROZEN, refuse_if_finalised, refuse_rename_during_entry

def body_or_default(congress: Congress, kind: Kind | str, body: Body | str | None) -> Body:
    """The body chosen, or the usual one for the kind (the new committee's meeting elects its
    standing committee, secretary...; a branch congress elects its secretary itself)."""
    return Body(body) if body else default_body(kind, congress.organisation.name)


@write_operation
def create_election(congress: Congress, kind: Kind | str, title: str, seats: int,
                    entry_mode: EntryMode | str = EntryMode.DOUBLE, body: Body | str | None = None) -> Election:
    """The election and its first round (status set-up, all its candidates on the list)."""
    title = _required_name(title, "Tên cuộc bầu")
    check_seats(seats)
    body = body_or_default(congress, kind, body)
    position = max((e.position for e in congress.elections), default=0) + 1
    election = Election(congress=congress, kind=Kind(kind).value, title=title, seats=seats, position=position,
                        body=body.value)
    first = Round(election=election, number=1, seats=seats, entry_mode=EntryMode(entry_mode).value,
                  status=RoundStatus.SETUP.value)
    db.session.add_all([election, first])
    db.session.flush()
    audit.record("election.create", congress=congress, election_id=election.id, kind=election.kind,
                 title=title, seats=seats, body=election.body)
    db.session.commit()
    return election


@write_operation
def update_election(election: Election, kind: Kind | str, title: str, seats: int,
                    body: Body | str | None = None) -> None:
    title = _required_name(title, "Tên cuộc bầu")
    check_seats(seats)
    body = body_or_default(election.congress, kind, body)
    first = election.rounds[0]
    if seats != election.seats and first.status != RoundStatus.SETUP.value:
        raise SetupError("Vòng 1 đã bắt đầu nhập phiếu: không thể đổi số lượng cần bầu.")
    if body.value != election.body and first.status != RoundStatus.SETUP.value:
        raise SetupError("Vòng 1 đã bắt đầu nhập phiếu: không thể đổi cơ quan bầu (cơ sở tính quá bán).")
    if (Kind(kind).value, title) != (election.kind, election.title):
        if any(r.is_finalised for r in election.rounds):
            raise SetupError(FROZEN + " Tên và loại cuộc bầu in trên biên bản đã chốt.")
        refuse_rename_during_entry([election.congress])
    election.kind, election.title, election.seats, election.body = Kind(kind).value, title, seats, body.value
    first.seats = seats
    audit.record("election.update", congress=election.congress, election_id=election.id, kind=election.kind,
                 title=title, seats=seats, body=election.body)
    db.session.commit()


def check_seats(seats: int | None) -> None:
    if seats is None or seats < 1:
        raise SetupError("Số lượng cần bầu phải ít nhất là 1.")


@write_operation
def set_round_numbers(round_: Round, present: int | None, issued: int | None,
                      voted_on: date | None = None) -> None:
    """The numbers present and ballots issued (reported by the committee before counting)."""
    refuse_if_finalised(round_)
    if round_.status != RoundStatus.SETUP.value and (present is None or issued is None):
        raise SetupError("Vòng bầu đang nhập phiếu: số có mặt và số phiếu phát ra không được để trống "
                         "(kết quả đối chiếu với hai số này).")
    convened = round_.body_convened
    for value, label in ((present, "Số có mặt"), (issued, "Số phiếu phát ra")):
        if value is not None and value < 0:
            raise SetupError(f"{label} không thể âm.")
    if present is not None and convened is not None and present > convened:
        raise SetupError(f"Số có mặt ({present}) không thể lớn hơn số được triệu tập ({convened}).")
    if present is not None and issued is not None and issued > present:
        raise SetupError(f"Số phiếu phát ra ({issued}) không thể lớn hơn số có mặt ({present}).")
    round_.present, round_.issued = present, issued
    if voted_on is not None:
        round_.voted_on = voted_on
    audit.record("round.numbers", congress=round_.congress, round_id=round_.id, present=present, issued=issued,
                 voted_on=voted_on)
    db.session.commit()


@write_operation
def set_entry_mode(round_: Round, mode: EntryMode | str) -> None:
    mode = EntryMode(mode)
    if round_.status != RoundStatus.SETUP.value:
        raise SetupError("Chỉ đổi cách nhập phiếu khi vòng bầu chưa bắt đầu nhập.")
    round_.entry_mode = mode.value
    audit.record("round.entry_mode", congress=round_.congress, round_id=round_.id, entry_mode=mode.value)
    db.session.commit()


MAX_BATCHES = 50


@write_operation
def set_batches(round_: Round, batches: int) -> None:
    """Split the round's stack into numbered batches (tệp phiếu), each typed and compared on its
    own. Possible until finalisation; never fewer batches than those already holding ballots."""
    refuse_if_finalised(round_)
    if batches is None or not 1 <= batches <= MAX_BATCHES:
        raise SetupError(f"Số tệp phiếu phải từ 1 đến {MAX_BATCHES}.")
    used = db.session.scalar(select(func.max(Ballot.batch)).where(Ballot.round_id == round_.id)) or 0
    if batches < used:
        raise SetupError(f"Tệp phiếu số {used} đã có phiếu được nhập: không thể giảm xuống {batches} tệp.")
    round_.batches = batches
    audit.record("round.batches", congress=round_.congress, round_id=round_.id, batches=batches)
    db.session.commit()


@write_operation
def start_entry(round_: Round) -> None:
    """Set-up -> entry: the list is frozen from here on."""
    if round_.status != RoundStatus.SETUP.value:
        raise SetupError("Vòng bầu này đã bắt đầu nhập phiếu.")
    if not round_.round_candidates:
        raise SetupError("Danh sách bầu cử đang trống.")
    if round_.present is None or round_.issued is None:
        raise SetupError("Nhập số có mặt và số phiếu phát ra trước khi nhập phiếu.")
    if round_.body_convened is None:
        raise SetupError("Cuộc bầu do Hội nghị lần thứ nhất Ban Chấp hành khóa mới tiến hành: nhập số ủy viên "
                         "Ban Chấp hành được triệu tập (trang đại hội) trước khi nhập phiếu.")
    round_.status = RoundStatus.ENTRY.value
    audit.record("round.start_entry", congress=round_.congress, round_id=round_.id, entry_mode=round_.entry_mode,
                 candidates=[c.code for c in round_.candidates], seats=round_.seats)
    db.session.commit()


@write_operation
def open_round(election: Election, seats: int, candidates: Iterable[Candidate],
               entry_mode: EntryMode | str | None = None) -> Round:
    """The next round (e.g. from the engine's ``next_round`` proposal, edited by the organiser).

    The previous round must be finalised; the list may not be empty; seats >= 1.
    """
    check_seats(seats)
    previous = election.current_round
    if previous is not None and not previous.is_finalised:
        raise SetupError(f"Vòng {previous.number} chưa được chốt kết quả.")
    chosen = list(dict.fromkeys(candidates))
    if not chosen:
        raise SetupError("Danh sách bầu cử của vòng mới đang trống.")
    if any(c.election_id != election.id for c in chosen):
        raise SetupError("Người ứng cử không thuộc cuộc bầu này.")
    round_ = Round(
        election=election,
        number=(previous.number + 1) if previous else 1,
        seats=seats,
        entry_mode=EntryMode(entry_mode or (previous.entry_mode if previous else EntryMode.DOUBLE)).value,
        status=RoundStatus.SETUP.value,
    )
    round_.round_candidates = [RoundCandidate(candidate=c) for c in chosen]
    db.session.add(round_)
    db.session.flush()
    audit.record("round.open", congress=election.congress, election_id=election.id, round_id=round_.id,
                 number=round_.number, seats=seats, candidates=[c.code for c in chosen])
    db.session.commit()
    return round_


# ------------------------------------------------------------------ warnings (not errors)


def election_warnings(election: Election, ratio: float = 0.30) -> list[str]:
    """What the organiser should see but may accept."""
    warnings = []
    count, seats = len(election.candidates), election.seats
    if count > seats and (count - seats) > ratio * seats:
        surplus = (count - seats) / seats * 100
        warnings.append(
            f"Số dư {count - seats} người ({surplus:.0f}% so với {seats} cần bầu) vượt quá {ratio:.0%}: "
            "Quy chế bầu cử quy định số dư không quá 30%."
        )
    if election.tally_kind in KINDS_NEEDING_SURPLUS and 0 < count <= seats:
        warnings.append("Bầu cấp ủy, ban thường vụ, ủy ban kiểm tra phải có số dư (nhiều người hơn số cần bầu).")
    return warnings
