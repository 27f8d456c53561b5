"""Write operations of the set-up pages. Each one validates, writes an audit entry, commits.

Refusals raise ``SetupError`` with a Vietnamese message for the page. Things the committee
should see but may accept (a surplus over 30%) are *warnings*, returned by ``*_warnings``.
"""

from __future__ import annotations

from datetime import date

from .. import audit
from ..extensions import db, write_operation
from ..models import (
    COMMITTEE_ROLES,
    Candidate,
    Congress,
    CongressKind,
    CountCommitteeMember,
    Exclusion,
    Organisation,
    OrganisationLevel,
    name_key,
)
from ..tally import Body, normalize_name

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

# Elections and rounds live in their own module; re-exported so callers keep `services.open_round`.
from .elections import (  # noqa: F401
    MAX_BATCHES,
    body_or_default,
    check_seats,
    create_election,
    election_warnings,
    open_round,
    set_batches,
    set_entry_mode,
    set_round_numbers,
    start_entry,
    update_election,
)
from .guards import FROZEN, has_finalised_round, refuse_if_body_finalised, refuse_rename_during_entry


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
        if any(has_finalised_round(c) for c in organisation.congresses):
            raise SetupError(FROZEN + " Tên tổ chức đảng in trên biên bản đã chốt.")
        refuse_rename_during_entry(organisation.congresses)
    organisation.name, organisation.parent, organisation.level = name, parent, level
    audit.record("organisation.update", organisation_id=organisation.id, name=name, level=level,
                 parent_id=parent.id if parent else None)
    db.session.commit()


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
        refuse_if_body_finalised(congress)
    before = _printed_congress_facts(congress)
    printed = congress.full_name
    _apply_congress_fields(congress, fields)
    if has_finalised_round(congress) and _printed_congress_facts(congress) != before:
        raise SetupError(FROZEN + " Thông tin đại hội (tên, lần thứ, nhiệm kỳ, địa điểm, ngày) in trên biên bản đã chốt.")
    if congress.full_name != printed:
        refuse_rename_during_entry([congress])
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
    refuse_if_body_finalised(congress, body)
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
    refuse_if_body_finalised(congress, exclusion.body)
    audit.record("exclusion.remove", congress=congress, exclusion_id=exclusion.id, count=exclusion.count,
                 reason=exclusion.reason, body=exclusion.body)
    congress.exclusions.remove(exclusion)
    db.session.commit()


@write_operation
def set_committee_convened(congress: Congress, convened: int | None) -> None:
    """Members of the new committee convened to its first meeting; None: as many as the
    congress elected (``Congress.elected_committee_size``)."""
    refuse_if_body_finalised(congress, Body.COMMITTEE)
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
    if has_finalised_round(congress):
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
    if has_finalised_round(congress):
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
