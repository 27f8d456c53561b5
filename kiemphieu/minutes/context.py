"""What the minutes template shows, prepared from the engine's Result (never recomputed here)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from kiemphieu.labels import DEPUTY_ROLE, HEAD_ROLE, meeting_name

from kiemphieu.tally import REASON_LABELS, Body, Election, Outcome, Result

from .formatting import (
    DOTS,
    congress_heading,
    date_long,
    join_vi,
    parse_clock,
    percent_vi,
    term_of,
)
from .wording import assembly_for, voters_label, wording_for

DEFAULT_VERIFY_URL_BASE = "http://kiemphieu.local"
DRAFT_MARK = "BẢN NHÁP — CHƯA KẾT THÚC"


@dataclass(frozen=True)
class Exclusion:
    """Part of ``excluded`` with its reason (Article 30: absent with leave, suspended...)."""

    count: int
    reason: str


def verify_url(base: str | None, digest: str) -> str:
    return f"{(base or DEFAULT_VERIFY_URL_BASE).rstrip('/')}/verify/{digest}"


def ended_line(day: date | None, ended_at: str | None) -> str:
    if ended_at:
        hours, minutes = parse_clock(ended_at)
        clock = f"{hours:02d} giờ {minutes:02d} phút"
    else:
        clock = f"{DOTS} giờ {DOTS} phút"
    return f"Kiểm phiếu kết thúc vào lúc {clock}, {date_long(day)}."


def header_context(organization: str, congress: str, place: str, day: date | None) -> dict:
    return {
        "organization_upper": organization.upper(),
        "congress_heading": congress_heading(congress),
        "term": term_of(congress),
        "place_date": f"{place or DOTS}, {date_long(day)}",
    }


def assembly_name(assembly: str, election: Election) -> str:
    """The body holding the vote, in full for the minutes' first line."""
    body = Body.CONGRESS if assembly == "Đại hội" else Body.COMMITTEE
    return meeting_name(body, election.organization, election.congress)


def outcome_paragraphs(election: Election, result: Result, assembly: str | None = None) -> list[str]:
    """The outcome in words: complete, a tie at the last seat(s), or seats left unfilled."""
    assembly = assembly or assembly_for(election.body)
    names = election.display_names
    next_round = result.next_round
    following = election.round + 1
    if result.outcome is Outcome.COMPLETE:
        return [f"Đã bầu đủ số lượng cần bầu: {result.seats_filled} đồng chí."]
    paragraphs = []
    if not result.elected:
        paragraphs.append(
            "Không có đồng chí nào có số phiếu bầu quá một nửa so với tổng số làm căn cứ "
            f"tính kết quả ({result.base}).")
    if result.outcome is Outcome.TIE:
        tied = [names[cid] for cid in next_round.candidates]
        first = result.by_id(next_round.candidates[0])
        paragraphs.append(
            f"Các đồng chí {join_vi(tied)} có số phiếu bằng nhau ({first.votes} phiếu, đạt "
            f"{percent_vi(first.percent)}%), đều quá một nửa, nhưng chỉ còn {next_round.seats} "
            "đồng chí cần bầu nên chưa xác định được người trúng cử.")
        paragraphs.append(
            f"Đề nghị {assembly} bầu tiếp (lần {following}) {next_round.seats} đồng chí trong số "
            f"các đồng chí: {join_vi(tied)}.")
    else:
        paragraphs.append(
            f"Số đồng chí trúng cử ({result.seats_filled}) chưa đủ số lượng cần bầu "
            f"({election.seats}), còn thiếu {next_round.seats} đồng chí.")
        proposed = [names[cid] for cid in next_round.candidates]
        paragraphs.append(
            f"Đề nghị {assembly} xem xét, quyết định bầu tiếp (lần {following}) "
            f"{next_round.seats} đồng chí; danh sách đề nghị gồm các đồng chí chưa trúng cử: "
            f"{join_vi(proposed)}.")
    return paragraphs


def minutes_context(
    election: Election,
    result: Result,
    digest: str,
    *,
    verify_url_base: str | None = None,
    ended_at: str | None = None,
    draft: bool = False,
    exclusions: list[Exclusion] | None = None,
    signers: Sequence[str] | None = None,
) -> dict:
    wording = wording_for(election.kind)
    assembly = assembly_for(election.body)
    names = election.display_names
    subtitle = election.title
    term = term_of(election.congress)
    if term and "nhiệm kỳ" not in subtitle.lower():
        subtitle = f"{subtitle}, nhiệm kỳ {term}"
    committee = list(election.committee)
    head = next((m for m in committee if m.role == HEAD_ROLE), committee[0] if committee else None)
    # Only the members present sign (the committee ticks them when it finalises the round).
    present = set(signers) if signers is not None else {m.name for m in committee}
    signing = [m for m in committee if m.name in present and m is not head]
    elected = [result.by_id(cid) for cid in result.elected]
    return {
        **header_context(election.organization, election.congress, election.place, election.date),
        "title": "BIÊN BẢN KIỂM PHIẾU",
        "subtitle": subtitle,
        # Kept on one line by the template: "(lần 2)" never wraps as "(lần / 2)".
        "round_label": f"(lần {election.round})" if election.round > 1 else "",
        "election": election,
        "result": result,
        "wording": wording,
        "assembly": assembly,
        "assembly_full": assembly_name(assembly, election),
        "voters": voters_label(election.body, election.congress),
        "date_long": date_long(election.date),
        "candidates": [
            {"order": order, "name": names[c.id], "note": ""}
            for order, c in enumerate(election.candidates, start=1)
        ],
        "committee": committee,
        "head": head if head is not None and head.name in present else None,
        "deputies": [m for m in signing if m.role == DEPUTY_ROLE],
        "members": [m for m in signing if m.role != DEPUTY_ROLE],
        "exclusions": exclusions or [],
        # Negative when present > convened: the engine reports that check; print dots, not "-2".
        "absent": (election.convened - election.present)
        if election.present is not None and election.present <= election.convened else None,
        "invalid_reasons": [(REASON_LABELS[r], n) for r, n in result.invalid_reasons.items()],
        "rows": [
            {"order": c.order, "name": names[c.id], "votes": c.votes, "percent": percent_vi(c.percent)}
            for c in result.candidates
        ],
        "elected": [
            {"rank": i, "name": names[c.id], "votes": c.votes, "percent": percent_vi(c.percent)}
            for i, c in enumerate(elected, start=1)
        ],
        "outcome": outcome_paragraphs(election, result, assembly),
        "checks": [c.message for c in result.checks],
        "ended": ended_line(election.date, ended_at),
        "digest": digest,
        "verify_url": verify_url(verify_url_base, digest),
        "draft": draft,
        "draft_mark": DRAFT_MARK,
        "dots": DOTS,
    }
