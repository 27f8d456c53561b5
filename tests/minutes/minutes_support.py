"""Elections and ballots for the minutes tests, and reading a PDF's text back (pypdfium2).

Imported by the tests as `minutes_support` (conftest.py puts this folder on sys.path:
pytest runs with --import-mode=importlib)."""

from __future__ import annotations

import re
import unicodedata
from datetime import date

from kiemphieu.tally import (
    Body,
    BoxesBallot,
    BoxMark,
    Candidate,
    CommitteeMember,
    Election,
    InvalidBallot,
    InvalidReason,
    Kind,
    StrikeBallot,
)

ORG = "Đảng bộ xã Yên Lập"
CONGRESS = "Đại hội đại biểu Đảng bộ xã Yên Lập lần thứ XXI, nhiệm kỳ 2025 - 2030"
COMMITTEE = (
    CommitteeMember("Lê Thị Thu", "Trưởng ban"),
    CommitteeMember("Hà Văn Tâm", "Ủy viên"),
    CommitteeMember("Đỗ Thị Ngọc Ánh", "Ủy viên"),
)
# Every Vietnamese letter with every tone appears somewhere in these names.
NAMES = {
    "a": "Nguyễn Văn An",
    "b": "Trần Thị Bình",
    "c": "Lê Đức Hạnh",
    "d": "Phạm Thị Ánh",
    "e": "Vũ Quốc Dũng",
    "f": "Hoàng Thị Thủy",
    "g": "Đặng Hữu Nghĩa",
    "h": "Bùi Thị Ơn",
}


def make_election(ids: str, seats: int, convened: int, *, kind: Kind = Kind.COMMITTEE,
                  title: str = "Bầu Ban Chấp hành Đảng bộ xã khóa XXI", **extra) -> Election:
    fields = dict(
        title=title, kind=kind, seats=seats, convened=convened,
        candidates=tuple(Candidate(i, NAMES[i]) for i in ids),
        organization=ORG, congress=CONGRESS, place="Yên Lập", date=date(2025, 6, 20),
        committee=COMMITTEE,
    )
    fields.update(extra)
    return Election(**fields)


def keep(election: Election, kept: str | list[str], times: int = 1) -> list[StrikeBallot]:
    """Strike-form ballots keeping the candidates named (one-letter ids in a string, or a list)."""
    struck = frozenset(election.candidate_ids) - set(kept)
    return [StrikeBallot(struck) for _ in range(times)]


def invalid(reason: InvalidReason, times: int = 1) -> list[InvalidBallot]:
    return [InvalidBallot(reason) for _ in range(times)]


SCENARIOS = {}


def scenario(name):
    def register(build):
        SCENARIOS[name] = build
        return build
    return register


@scenario("complete_with_invalid")
def _complete():
    # 5 candidates for 3 seats, base 38, invalid ballots of five reasons.
    election = make_election("abcde", seats=3, convened=40, excluded=2, present=37, issued=37)
    ballots = (keep(election, "abc", 14) + keep(election, "abd", 8) + keep(election, "bce", 5)
               + keep(election, "ae", 3) + keep(election, "c", 1)
               + keep(election, "abcde")  # every name kept: over_seats
               + keep(election, "")  # every name struck: no_vote
               + invalid(InvalidReason.NO_STAMP, 2) + invalid(InvalidReason.IDENTIFYING_MARK))
    return election, ballots


@scenario("tie")
def _tie():
    # A elected; B and C tie over the majority for the last seat.
    election = make_election("abcd", seats=2, convened=22, present=21, issued=21)
    ballots = keep(election, "ab", 6) + keep(election, "ac", 6) + keep(election, "bc", 6) + keep(election, "ad", 3)
    return election, ballots


@scenario("unfilled")
def _unfilled():
    election = make_election("abcd", seats=3, convened=22, present=22, issued=22)
    ballots = keep(election, "a", 12) + keep(election, "bc", 6) + keep(election, "cd", 4)
    return election, ballots


@scenario("single_candidate_boxes")
def _single():
    election = make_election("f", seats=1, convened=15, kind=Kind.SECRETARY, body=Body.COMMITTEE,
                             title="Bầu Bí thư Đảng ủy xã khóa XXI")
    ballots = ([BoxesBallot({"f": BoxMark.AGREE})] * 10 + [BoxesBallot({"f": BoxMark.DISAGREE})] * 2
               + [BoxesBallot({"f": BoxMark.BOTH}), BoxesBallot({})] + invalid(InvalidReason.NO_STAMP))
    return election, ballots


@scenario("round_two_with_checks")
def _round_two():
    # Round 2 after an unfilled round; more ballots counted than issued: a visible check.
    election = make_election("bcd", seats=2, convened=22, round=2, present=22, issued=20)
    ballots = keep(election, "bc", 13) + keep(election, "cd", 8)
    return election, ballots


def pdf_pages(pdf: bytes) -> list[str]:
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(pdf)
    pages = [unicodedata.normalize("NFC", p.get_textpage().get_text_range().replace("\r\n", "\n"))
             for p in document]
    document.close()
    return pages


def flat(pdf: bytes) -> str:
    """All text on one line, whitespace collapsed (lines wrap wherever the layout decides)."""
    return re.sub(r"\s+", " ", " ".join(pdf_pages(pdf)))


