"""What differs between the minutes of each kind of election: data, not template copies.

The 2025 set of templates (Appendix 2 of Guidance 04-HD/TW) has one minutes form per post;
their sentences differ only in what is elected and what the elected are called. One Jinja
template reads this table.
"""

from __future__ import annotations

from dataclasses import dataclass

from kiemphieu.tally import Body, Kind


@dataclass(frozen=True)
class Wording:
    # What is elected, after "Bầu" in the subtitle and after "số lượng" in the seats line.
    body: str
    # How the elected are named: "Những đồng chí {elected_as} ...".
    elected_as: str
    # The seats line: "{seats_intro} là N đồng chí." (delegates are allocated, not voted).
    seats_intro: str
    # Usually elected by the new committee at its first meeting (``tally.PLENUM_KINDS``);
    # who really voted is the election's ``body``, which the wording follows.
    by_plenum: bool = False
    # Short label for the congress summary table.
    short: str = ""


WORDING: dict[Kind, Wording] = {
    Kind.COMMITTEE: Wording(
        body="Ban Chấp hành",
        elected_as="trúng cử vào Ban Chấp hành",
        seats_intro="Đại hội đã biểu quyết số lượng Ủy viên Ban Chấp hành khóa mới",
        short="Ban Chấp hành",
    ),
    Kind.STANDING_COMMITTEE: Wording(
        body="Ban Thường vụ",
        elected_as="trúng cử vào Ban Thường vụ",
        seats_intro="Số lượng Ủy viên Ban Thường vụ cần bầu",
        by_plenum=True,
        short="Ban Thường vụ",
    ),
    Kind.SECRETARY: Wording(
        body="Bí thư",
        elected_as="trúng cử Bí thư",
        seats_intro="Số lượng Bí thư cần bầu",
        by_plenum=True,
        short="Bí thư",
    ),
    Kind.DEPUTY_SECRETARY: Wording(
        body="Phó Bí thư",
        elected_as="trúng cử Phó Bí thư",
        seats_intro="Số lượng Phó Bí thư cần bầu",
        by_plenum=True,
        short="Phó Bí thư",
    ),
    Kind.INSPECTION_COMMITTEE: Wording(
        body="Ủy ban Kiểm tra",
        elected_as="trúng cử vào Ủy ban Kiểm tra",
        seats_intro="Số lượng Ủy viên Ủy ban Kiểm tra cần bầu",
        by_plenum=True,
        short="Ủy ban Kiểm tra",
    ),
    Kind.INSPECTION_CHAIR: Wording(
        body="Chủ nhiệm Ủy ban Kiểm tra",
        elected_as="trúng cử Chủ nhiệm Ủy ban Kiểm tra",
        seats_intro="Số lượng Chủ nhiệm Ủy ban Kiểm tra cần bầu",
        by_plenum=True,
        short="Chủ nhiệm UBKT",
    ),
    Kind.DELEGATES: Wording(
        body="đại biểu chính thức đi dự Đại hội Đảng bộ cấp trên",
        elected_as="trúng cử đại biểu chính thức đi dự Đại hội Đảng bộ cấp trên",
        seats_intro="Số lượng đại biểu chính thức đi dự Đại hội Đảng bộ cấp trên được cấp trên phân bổ",
        short="Đại biểu chính thức",
    ),
    Kind.ALTERNATES: Wording(
        body="đại biểu dự khuyết đi dự Đại hội Đảng bộ cấp trên",
        elected_as="trúng cử đại biểu dự khuyết đi dự Đại hội Đảng bộ cấp trên",
        seats_intro="Đại hội đã biểu quyết số lượng đại biểu dự khuyết",
        short="Đại biểu dự khuyết",
    ),
    Kind.OTHER: Wording(
        body="",
        elected_as="trúng cử",
        seats_intro="Số lượng cần bầu",
        short="Bầu cử",
    ),
}


def wording_for(kind: Kind) -> Wording:
    return WORDING[kind]


def assembly_for(body: Body | str) -> str:
    """Who holds the vote: "Đại hội" or the new committee's first meeting ("Hội nghị")."""
    return "Hội nghị Ban Chấp hành" if Body(body) is Body.COMMITTEE else "Đại hội"


def voters_label(body: Body | str, congress: str) -> str:
    """Who the base counts (Article 30): members, delegates, or the new committee's members."""
    if Body(body) is Body.COMMITTEE:
        return "ủy viên Ban Chấp hành"
    if "đại biểu" in congress.lower():
        return "đại biểu chính thức"
    return "đảng viên chính thức"
