"""Write operations of the set-up pages. Each one validates, writes an audit entry, commits.

Refusals raise ``SetupError`` with a Vietnamese message for the page. Things the committee
should see but may accept (a surplus over 30%) are *warnings*, returned by ``*_warnings``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from sqlalchemy import func, select

from .. import audit
from ..extensions import db, write_operation
from ..models import (
    COMMITTEE_ROLES,
    KINDS_NEEDING_SURPLUS,
    Ballot,
    Candidate,
    Congress,
    CongressKind,
    CountCommitteeMember,
    Election,
    EntryMode,
    Exclusion,
    Organisation,
    OrganisationLevel,
    Round,
    RoundCandidate,
    RoundStatus,
    name_key,
)
from ..tally import Body, Kind, default_body, normalize_name

# Candidates live in their own module; re-exported so callers keep `services.add_candidates`.
from .candidates import (  # noqa: F401
    CandidateLine,
    add_candidate,
    add_candidates,
    add_candidates_from_text,
    parse_candidate_lines,
    parse_vn_date,
    remove_candidate,
    update_candidate,
)
from .common import SetupError, clean as _clean
from .common import required_name as _required_name


# ------------------------------------------------------------------ organisations


def _level(level: OrganisationLevel | str | None, parent: Organisation | None) -> str:
    """The level given, or one below the parent's (a province's child is a district...)."""
    if level:
        return OrganisationLevel(level).value
    levels = list(OrganisationLevel)
    if parent is None:
        return OrganisationLevel.GRASSROOTS.value
    return levels[min(levels.index(parent.organisation_level) + 1, len(levels) - 1)].value


def _check_level_below(level: str, parent_level: str | None) -> None:
    """A child may sit at its parent's level (đảng bộ bộ phận) or lower, never higher."""
    levels = list(OrganisationLevel)
    if parent_level is not None and levels.index(OrganisationLevel(level)) < levels.index(OrganisationLevel(parent_level)):
        raise SetupError(f"Tổ chức cấp “{OrganisationLevel(level).label}” không thể trực thuộc tổ chức cấp "
                         f"“{OrganisationLevel(parent_level).label}”.")


@write_operation
def create_organisation(name: str, parent: Organisation | None = None,
                        level: OrganisationLevel | str | None = None) -> Organisation:
    name = _required_name(name, "Tên tổ chức đảng")
    level = _level(level, parent)
    _check_level_below(level, parent.level if parent else None)
    organisation = Organisation(name=name, parent=parent, level=level)
    db.session.add(organisation)
    db.session.flush()
    audit.record("organisation.create", organisation_id=organisation.id, name=name, level=level,
                 parent_id=parent.id if parent else None)
    db.session.commit()
    return organisation


@write_operation
def update_organisation(organisation: Organisation, name: str, parent: Organisation | None,
                        level: OrganisationLevel | str | None = None) -> None:
    name = _required_name(name, "Tên tổ chức đảng")
    level = OrganisationLevel(level or organisation.level).value
    ancestor = parent
    while ancestor is not None:
        if ancestor.id == organisation.id:
            raise SetupError("Tổ chức cấp trên không thể là chính nó hoặc tổ chức cấp dưới của nó.")
        ancestor = ancestor.parent
    _check_level_below(level, parent.level if parent else None)
    for child in organisation.children:
        _check_level_below(child.level, level)
    if name != organisation.name:
        if any(_has_finalised_round(c) for c in organisation.congresses):
            raise SetupError(FROZEN + " Tên tổ chức đảng in trên biên bản đã chốt.")
        _refuse_rename_during_entry(organisation.congresses)
    organisation.name, organisation.parent, organisation.level = name, parent, level
    audit.record("organisation.update", organisation_id=organisation.id, name=name, level=level,
                 parent_id=parent.id if parent else None)
    db.session.commit()


def _refuse_rename_during_entry(congresses: Iterable[Congress]) -> None:
    """The ballots' fingerprint covers the names printed on them (organisation, congress,
    election title): renaming while a round is in entry would make every later scan of that
    round "another election". Finalised rounds keep their own record, so they do not block."""
    for congress in congresses:
        for election in congress.elections:
            for round_ in election.rounds:
                if round_.status == RoundStatus.ENTRY.value:
                    raise SetupError(
                        f"“{election.title}” vòng {round_.number} đang nhập phiếu: tên in trên phiếu bầu "
                        "(tổ chức, đại hội, cuộc bầu) không thể đổi cho đến khi chốt kết quả vòng đó."
                    )


# ------------------------------------------------------------------ congresses


CONGRESS_FIELDS = ("kind", "name", "number", "term", "place", "locality", "presidium_signer", "start_date",
                   "end_date", "convened")


def default_congress_name(organisation: Organisation, kind: CongressKind | str) -> str:
    """'Đại hội đại biểu Đảng bộ xã Yên Lập' / 'Đại hội Chi bộ ...' (members' congress)."""
    prefix = "Đại hội đại biểu" if CongressKind(kind) is CongressKind.DELEGATES else "Đại hội"
    return f"{prefix} {organisation.name}"


@write_operation
def create_congress(
    organisation: Organisation,
    *,
    convened: int,
    kind: CongressKind | str = CongressKind.DELEGATES,
    name: str = "",
    number: str = "",
    term: str = "",
    place: str = "",
    locality: str = "",
    presidium_signer: str = "",
    start_date: date | None = None,
    end_date: date | None = None,
) -> Congress:
    name = name or default_congress_name(organisation, kind)
    congress = Congress()
    _apply_congress_fields(
        congress,
        dict(kind=kind, name=name, number=number, term=term, place=place, locality=locality,
             presidium_signer=presidium_signer, start_date=start_date, end_date=end_date, convened=convened),
    )
    congress.organisation = organisation
    db.session.add(congress)
    db.session.flush()
    audit.record("congress.create", congress=congress, **_congress_snapshot(congress))
    db.session.commit()
    return congress


@write_operation
def update_congress(congress: Congress, **fields) -> None:
    if fields.get("convened", congress.convened) != congress.convened:
        _refuse_if_any_round_finalised(congress)
    before = _printed_congress_facts(congress)
    printed = congress.full_name
    _apply_congress_fields(congress, fields)
    if _has_finalised_round(congress) and _printed_congress_facts(congress) != before:
        raise SetupError(FROZEN + " Thông tin đại hội (tên, lần thứ, nhiệm kỳ, địa điểm, ngày) in trên biên bản đã chốt.")
    if congress.full_name != printed:
        _refuse_rename_during_entry([congress])
    if congress.excluded >= congress.convened:
        raise SetupError("Tổng số loại trừ phải nhỏ hơn số được triệu tập.")
    audit.record("congress.update", congress=congress, **_congress_snapshot(congress))
    db.session.commit()


def _apply_congress_fields(congress: Congress, fields: dict) -> None:
    unknown = set(fields) - set(CONGRESS_FIELDS)
    if unknown:
        raise TypeError(f"unknown congress fields: {sorted(unknown)}")
    if "kind" in fields:
        congress.kind = CongressKind(fields["kind"]).value
    labels = {"name": ("Tên đại hội", "title"), "number": ("Lần thứ", "title"), "term": ("Nhiệm kỳ", "title"),
              "place": ("Địa điểm", "text"), "locality": ("Địa danh ghi trên văn bản", "text"),
              "presidium_signer": ("Người ký thay mặt Đoàn Chủ tịch", "person")}
    for key, (label, kind) in labels.items():
        if key in fields:
            setattr(congress, key, _clean(fields[key], label, kind, required=key == "name"))
    for key in ("start_date", "end_date"):
        if key in fields:
            setattr(congress, key, fields[key])
    if congress.start_date and congress.end_date and congress.end_date < congress.start_date:
        raise SetupError("Ngày kết thúc không thể trước ngày khai mạc.")
    if "convened" in fields:
        convened = fields["convened"]
        if convened is None or convened < 1:
            raise SetupError("Số được triệu tập phải ít nhất là 1.")
        congress.convened = convened


def _printed_congress_facts(congress: Congress) -> dict:
    """What a round's minutes print of its congress (frozen once a round is finalised)."""
    # The presidium's signer is on the summary, not on a round's minutes.
    return {key: getattr(congress, key) for key in CONGRESS_FIELDS if key not in ("end_date", "presidium_signer")}


def _congress_snapshot(congress: Congress) -> dict:
    return {key: getattr(congress, key) for key in CONGRESS_FIELDS}


@write_operation
def add_exclusion(congress: Congress, count: int, reason: str, body: Body | str = Body.CONGRESS) -> Exclusion:
    """One itemised exclusion off the base of the congress or of the new committee's meeting."""
    body = Body(body or Body.CONGRESS)
    reason = _required_name(reason, "Lý do loại trừ", "text")
    _refuse_if_any_round_finalised(congress, body)
    if count is None or count < 1:
        raise SetupError("Số loại trừ phải ít nhất là 1.")
    convened = congress.convened_for(body)
    if convened is None:
        raise SetupError("Chưa biết số ủy viên Ban Chấp hành được triệu tập: nhập số này trước.")
    excluded = congress.excluded_for(body) + count
    if excluded >= convened:
        raise SetupError(f"Tổng số loại trừ ({excluded}) phải nhỏ hơn số được triệu tập ({convened}).")
    exclusion = Exclusion(congress=congress, count=count, reason=reason, body=body.value)
    db.session.add(exclusion)
    db.session.flush()
    audit.record("exclusion.add", congress=congress, exclusion_id=exclusion.id, count=count, reason=reason,
                 body=body.value, base=congress.base_for(body))
    db.session.commit()
    return exclusion


@write_operation
def remove_exclusion(exclusion: Exclusion) -> None:
    congress = exclusion.congress
    _refuse_if_any_round_finalised(congress, exclusion.body)
    audit.record("exclusion.remove", congress=congress, exclusion_id=exclusion.id, count=exclusion.count,
                 reason=exclusion.reason, body=exclusion.body)
    congress.exclusions.remove(exclusion)
    db.session.commit()


@write_operation
def set_committee_convened(congress: Congress, convened: int | None) -> None:
    """Members of the new committee convened to its first meeting; None: as many as the
    congress elected (``Congress.elected_committee_size``)."""
    _refuse_if_any_round_finalised(congress, Body.COMMITTEE)
    if convened is not None and convened < 1:
        raise SetupError("Số ủy viên Ban Chấp hành được triệu tập phải ít nhất là 1.")
    effective = convened or congress.elected_committee_size
    if effective is not None and congress.excluded_for(Body.COMMITTEE) >= effective:
        raise SetupError("Tổng số loại trừ phải nhỏ hơn số ủy viên Ban Chấp hành được triệu tập.")
    congress.committee_convened = convened
    audit.record("congress.committee_convened", congress=congress, committee_convened=convened,
                 effective=effective)
    db.session.commit()


# ------------------------------------------------------------------ count committee


@write_operation
def add_committee_member(congress: Congress, name: str, role: str = "Ủy viên") -> CountCommitteeMember:
    name = _required_name(name, "Họ và tên thành viên Ban kiểm phiếu", "person")
    role = normalize_name(role or "Ủy viên")
    if _has_finalised_round(congress):
        raise SetupError(FROZEN + " Ban kiểm phiếu in trên biên bản đã chốt.")
    if role not in COMMITTEE_ROLES:
        raise SetupError(f"Chức danh không hợp lệ: {role}.")
    if any(name_key(m.name) == name_key(name) for m in congress.committee):
        raise SetupError(f"“{name}” đã có trong Ban kiểm phiếu.")
    candidate = _candidate_named(congress, name)
    if candidate is not None:
        raise SetupError(
            f"“{name}” là người ứng cử trong “{candidate.election.title}”: "
            "người có tên trong danh sách bầu cử không được tham gia Ban kiểm phiếu."
        )
    if role == "Trưởng ban" and any(m.role == "Trưởng ban" for m in congress.committee):
        raise SetupError("Ban kiểm phiếu đã có Trưởng ban.")
    position = max((m.position for m in congress.committee), default=0) + 1
    member = CountCommitteeMember(congress=congress, name=name, role=role, position=position)
    db.session.add(member)
    db.session.flush()
    audit.record("committee.add", congress=congress, member_id=member.id, name=name, role=role)
    db.session.commit()
    return member


@write_operation
def remove_committee_member(member: CountCommitteeMember) -> None:
    congress = member.congress
    if _has_finalised_round(congress):
        raise SetupError(FROZEN + " Ban kiểm phiếu in trên biên bản đã chốt.")
    audit.record("committee.remove", congress=congress, member_id=member.id, name=member.name)
    congress.committee.remove(member)
    db.session.commit()


def _candidate_named(congress: Congress, name: str) -> Candidate | None:
    key = name_key(name)
    for election in congress.elections:
        for candidate in election.candidates:
            if name_key(candidate.name) == key:
                return candidate
    return None


# ------------------------------------------------------------------ elections and rounds


def body_or_default(congress: Congress, kind: Kind | str, body: Body | str | None) -> Body:
    """The body chosen, or the usual one for the kind (the new committee's meeting elects its
    standing committee, secretary...; a branch congress elects its secretary itself)."""
    return Body(body) if body else default_body(kind, congress.organisation.name)


@write_operation
def create_election(congress: Congress, kind: Kind | str, title: str, seats: int,
                    entry_mode: EntryMode | str = EntryMode.DOUBLE, body: Body | str | None = None) -> Election:
    """The election and its first round (status set-up, all its candidates on the list)."""
    title = _required_name(title, "Tên cuộc bầu")
    _check_seats(seats)
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
    _check_seats(seats)
    body = body_or_default(election.congress, kind, body)
    first = election.rounds[0]
    if seats != election.seats and first.status != RoundStatus.SETUP.value:
        raise SetupError("Vòng 1 đã bắt đầu nhập phiếu: không thể đổi số lượng cần bầu.")
    if body.value != election.body and first.status != RoundStatus.SETUP.value:
        raise SetupError("Vòng 1 đã bắt đầu nhập phiếu: không thể đổi cơ quan bầu (cơ sở tính quá bán).")
    if (Kind(kind).value, title) != (election.kind, election.title):
        if any(r.is_finalised for r in election.rounds):
            raise SetupError(FROZEN + " Tên và loại cuộc bầu in trên biên bản đã chốt.")
        _refuse_rename_during_entry([election.congress])
    election.kind, election.title, election.seats, election.body = Kind(kind).value, title, seats, body.value
    first.seats = seats
    audit.record("election.update", congress=election.congress, election_id=election.id, kind=election.kind,
                 title=title, seats=seats, body=election.body)
    db.session.commit()


def _check_seats(seats: int | None) -> None:
    if seats is None or seats < 1:
        raise SetupError("Số lượng cần bầu phải ít nhất là 1.")


@write_operation
def set_round_numbers(round_: Round, present: int | None, issued: int | None,
                      voted_on: date | None = None) -> None:
    """The numbers present and ballots issued (reported by the committee before counting)."""
    _refuse_if_finalised(round_)
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
    _refuse_if_finalised(round_)
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
    _check_seats(seats)
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


FROZEN = "Đã có vòng bầu chốt kết quả: không thể sửa."


def _has_finalised_round(congress: Congress) -> bool:
    return any(r.is_finalised for e in congress.elections for r in e.rounds)


def _refuse_if_finalised(round_: Round) -> None:
    if round_.is_finalised:
        raise SetupError("Vòng bầu đã chốt kết quả: không thể thay đổi.")


def _refuse_if_any_round_finalised(congress: Congress, body: Body | str = Body.CONGRESS) -> None:
    """The figures of one body are frozen once a round that body held is finalised."""
    if any(r.is_finalised for e in congress.elections if e.body == Body(body).value for r in e.rounds):
        raise SetupError(
            "Đã có vòng bầu chốt kết quả: không thể thay đổi số được triệu tập hay số loại trừ "
            "(cơ sở tính quá bán của kết quả đã chốt)."
        )


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

